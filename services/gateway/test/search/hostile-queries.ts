/** Queries full of SQL and tsquery meta-characters: searched as text, never as syntax that breaks out. */
export const hostileQueries = [
  "'; drop table items; --",
  "orchid'); DELETE FROM items; --",
  '%',
  '%orchid%',
  '\\',
  '\\x27 OR 1=1',
  '"unbalanced',
  'a:b & | !',
  '!!',
  '( ) <-> :* ',
  '$1 $2::text',
  '-',
  'orchid:*',
  '\u0000',
];
