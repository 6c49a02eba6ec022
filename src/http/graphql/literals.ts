/**
 * The longest literal (a string, a block string, a number) in a GraphQL document. graphql-js bounds a
 * document's tokens (GRAPHQL_MAX_TOKENS), not their length, and a document was parsed three times a
 * request (the operation check, graphql.ts's preParsing check, mercurius): a string of 2 MB cost
 * 0.5–3.6 s a request (a block string of 500,000 short lines: 0.53 s a parse, dedented), so a long one
 * is refused before any parse. Large values belong in variables, read as JSON.
 */

/** Longest string (quotes included) or number a document may hold: 64 KiB; a spec or tensor goes in a variable. */
export const MAX_LITERAL_LENGTH = 65_536;

const isNamePart = (c: number) => c === 95 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
/** A number's characters as the scan steps past it (digits, sign, point, exponent; letters after it too). */
const isNumberPart = (c: number) => isNamePart(c) || c === 46 || c === 43 || c === 45;

/** Where the string starting at `i` (a `"`) ends: its closing quote, the line's end for an unterminated one, or the text's end. */
function stringEnd(source: string, i: number): number {
  if (source.startsWith('"""', i)) {
    // as graphql-js's lexer reads it: \""" is an escaped quote triple, stepped over whole (a search for a
    // """ not after a backslash ended at the quote after it: `"""\""""` then a megabyte read as 8 characters)
    for (let j = i + 3; j < source.length; j++) {
      if (source.startsWith('\\"""', j)) j += 3;
      else if (source.startsWith('"""', j)) return j + 3;
    }
    return source.length;
  }
  i++;
  while (i < source.length && source[i] !== '"' && source[i] !== '\n' && source[i] !== '\r') i += source[i] === '\\' ? 2 : 1;
  return source[i] === '"' ? i + 1 : Math.min(i, source.length);
}

/** The longest string or number in a document (outside comments), its length in characters and where it starts. Linear in the text. */
export function longestLiteral(source: string): { length: number; at: number } {
  let longest = { length: 0, at: -1 };
  let i = 0;
  while (i < source.length) {
    const c = source.charCodeAt(i);
    let end: number;
    if (c === 35 /* # */) {
      while (i < source.length && source[i] !== '\n' && source[i] !== '\r') i++;
      continue;
    }
    if (c === 34 /* " */) end = stringEnd(source, i);
    else if ((c >= 48 && c <= 57) || c === 45) {
      end = i + 1;
      while (end < source.length && isNumberPart(source.charCodeAt(end))) end++;
    } else if (isNamePart(c)) {
      // a name (its digits are not a number)
      while (i < source.length && isNamePart(source.charCodeAt(i))) i++;
      continue;
    } else {
      i++;
      continue;
    }
    if (end - i > longest.length) longest = { length: end - i, at: i };
    i = end;
  }
  return longest;
}

/** Whether a document holds a literal over MAX_LITERAL_LENGTH (then it is refused unparsed). */
export const literalTooLong = (source: string): boolean => longestLiteral(source).length > MAX_LITERAL_LENGTH;
