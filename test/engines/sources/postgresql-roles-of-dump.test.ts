import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROLES_OF_DUMP } from '../../../src/engines/sources/postgresql-roles-check.js';
import { makeSandbox } from '../../helpers/sandbox.js';
import { haveTools } from '../../helpers/tools.js';

// The entries as pg_dump 15 writes them (with --clean --if-exists), and text that only looks like them.
const DUMP = `--
-- Name: s; Type: SCHEMA; Schema: -; Owner: sch own
--

CREATE SCHEMA s;
ALTER SCHEMA s OWNER TO "sch own";

--
-- Name: f(); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION public.f() RETURNS void
    LANGUAGE plpgsql
    AS $$ BEGIN
GRANT SELECT ON TABLE t TO in_a_body;
CREATE POLICY p ON t TO in_a_body;
END $$;

--
-- Name: USER MAPPING mapper SERVER fs; Type: USER MAPPING; Schema: -; Owner: postgres
--

CREATE USER MAPPING FOR mapper SERVER fs OPTIONS (
    "user" 'x'
);

--
-- Name: USER MAPPING public SERVER fs; Type: USER MAPPING; Schema: -; Owner: postgres
--

CREATE USER MAPPING FOR public SERVER fs;

--
-- Data for Name: t; Type: TABLE DATA; Schema: public; Owner: app
--

COPY public.t (id, who) FROM stdin;
1	GRANT SELECT ON TABLE t TO in_data;
\\.

--
-- Name: t p1; Type: POLICY; Schema: public; Owner: app
--

CREATE POLICY p1 ON public.t FOR SELECT TO "odd ""q"" name", polreader USING ((who IN ( SELECT t_1.who
   FROM public.t t_1
  ORDER BY t_1.who)));

--
-- Name: a TO b x TO y; Type: POLICY; Schema: public; Owner: app
--

CREATE POLICY "x TO y" ON public."a TO b" AS RESTRICTIVE TO "Pol, Writer" WITH CHECK ((who <> 'TO in_a_string'::text));

--
-- Name: t p2; Type: POLICY; Schema: public; Owner: app
--

CREATE POLICY p2 ON public.t USING ((who = CURRENT_USER));

--
-- Name: TABLE t; Type: ACL; Schema: public; Owner: app
--

REVOKE ALL ON TABLE public.t FROM app;
REVOKE SELECT ON TABLE public.t FROM "Revoked";
GRANT SELECT ON TABLE public.t TO grantor WITH GRANT OPTION;
SET SESSION AUTHORIZATION "Grant'or";
GRANT SELECT ON TABLE public.t TO grantee2;
RESET SESSION AUTHORIZATION;
GRANT SELECT ON TABLE public."x TO y" TO "a TO b" GRANTED BY by_role;
GRANT ALL ON FUNCTION public.f("to" integer) TO PUBLIC;

--
-- Name: DEFAULT PRIVILEGES FOR TABLES; Type: DEFAULT ACL; Schema: s; Owner: definer
--

ALTER DEFAULT PRIVILEGES FOR ROLE definer IN SCHEMA s GRANT SELECT ON TABLES  TO "odd ""q"" name";
ALTER DEFAULT PRIVILEGES FOR ROLE "Big Owner" REVOKE ALL ON FUNCTIONS  FROM PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE "Big Owner" GRANT ALL ON FUNCTIONS  TO default_grantee;

--
-- PostgreSQL database dump complete
--
`;

/** The properties dump of the same database (pg_dump --create of no schema), in part. */
const PROPERTIES = `--
-- Name: shop; Type: DATABASE; Schema: -; Owner: db owner
--

CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C';
ALTER DATABASE shop OWNER TO "db owner";

--
-- Name: shop; Type: DATABASE PROPERTIES; Schema: -; Owner: db owner
--

ALTER DATABASE shop SET search_path TO 'public';
ALTER ROLE "Set ""Role""" IN DATABASE shop SET work_mem TO '8MB';

--
-- Name: USER MAPPING mapper SERVER fs; Type: USER MAPPING; Schema: -; Owner: postgres
--

CREATE USER MAPPING FOR mapper SERVER fs;

--
-- Name: DATABASE shop; Type: ACL; Schema: -; Owner: db owner
--

GRANT CONNECT ON DATABASE shop TO connector;
`;

const awks = ['awk', 'mawk'].filter((awk) => haveTools(awk));

describe.each(awks)('the roles a pg_dump dump names, read by %s', (awk) => {
  const rolesOf = (dump: string, properties: string[] = []) => {
    const run = spawnSync(awk, [...properties, ROLES_OF_DUMP], { input: dump, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    return /FROM \(VALUES (.*)\) AS roles\(name, always\)/.exec(run.stdout)?.[1];
  };
  const needed = (names: readonly string[], always: boolean) => names.map((name) => `('${name}', ${always})`);

  it('are every owner, grantee, grantor, default ACL role, policy role and user mapping, each once', () => {
    expect(rolesOf(DUMP)).toBe(
      needed(
        [
          'sch own',
          'postgres',
          'mapper',
          'app',
          'odd "q" name',
          'polreader',
          'Pol, Writer',
          'Revoked',
          'grantor',
          "Grant''or",
          'grantee2',
          'a TO b',
          'by_role',
          'definer',
          'Big Owner',
          'default_grantee',
        ],
        true,
      ).join(', '),
    );
  });

  it('add those only the properties name, needed only when they create the database', () => {
    const box = makeSandbox('polyarchiv-roles-of-dump-');
    try {
      box.write({ 'shop.sql.database.sql': PROPERTIES });
      const roles = rolesOf(DUMP, ['-v', `properties=${box.path('shop.sql.database.sql')}`]);
      expect(
        roles?.endsWith(
          `('default_grantee', true), ${needed(['db owner', 'Set "Role"', 'connector'], false).join(', ')}`,
        ),
      ).toBe(true);
      // A copy made before the properties were dumped has none: the dump's roles, without an error.
      expect(rolesOf(DUMP, ['-v', `properties=${box.path('missing.sql')}`])).toBe(rolesOf(DUMP));
    } finally {
      box.remove();
    }
  });

  it('are none in a dump that names none', () => {
    expect(
      spawnSync(awk, [ROLES_OF_DUMP], {
        input: '--\n-- Name: x; Type: COMMENT; Schema: -; Owner: \n--\n',
        encoding: 'utf8',
      }).stdout,
    ).toBe('');
  });
});
