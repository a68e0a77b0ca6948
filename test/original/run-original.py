#!/usr/bin/python3
"""Runs the original PolyArchiv vendored beside this file, for the migration tests.

The original bundles its own copy of requests 2.19.1, which is left out of this directory:
Debian's python3-requests stands in for it under the same module names.
"""
import os
import sys
import warnings

warnings.simplefilter("ignore")  # the pipes module's deprecation notice
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)

import requests  # noqa: E402
import requests.auth  # noqa: E402

sys.modules["polyarchiv._vendor.requests"] = requests
sys.modules["polyarchiv._vendor.requests.auth"] = requests.auth

from polyarchiv.cli import main  # noqa: E402

sys.exit(main(engines_file=os.path.join(here, "engines.ini")))
