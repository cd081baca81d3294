// Plain texts cut into paragraphs, for the sources that ship running text.

/** Paragraphs of a plain text: runs of lines separated by blank lines. */
export function paragraphs(text: string): string[] {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}
