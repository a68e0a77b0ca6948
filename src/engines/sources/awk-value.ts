/** A value for awk's `-v name=value`, which unescapes backslashes: doubled, it arrives as written. */
export const awkValue = (text: string): string => text.replaceAll('\\', '\\\\');
