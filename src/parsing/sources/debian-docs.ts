// Documentation that Debian ships as Sphinx-built HTML: the Linux kernel's (linux-doc-6.1),
// Python's (python3.11-doc), Django's, SQLAlchemy's and scikit-learn's (python-*-doc). Their running prose — the <p> paragraphs of each page's main part,
// never code blocks, navigation, footers or the index pages — is real English written by many
// hands; the full profile needs it to pass a million distinct sentences.
import fs from 'node:fs';
import path from 'node:path';
import { Parser } from 'htmlparser2';
import { byNaturalName, debianPackageVersion } from '../../util/package-files.ts';
import type { RawText, SentenceSource } from './types.ts';

const INSTALL_HINT = 'install it with `npm run setup:sources`';

type Attributes = Record<string, string>;
const ROLE_MAIN = (attrs: Attributes) => attrs.role === 'main';

/**
 * The prose paragraphs of one Sphinx page: the text of every <p> inside the page's main part (by
 * default the element marked role="main"), with inline markup (links, literals, emphasis) kept as
 * its words.
 */
export function sphinxParagraphs(html: string, isMain: (attrs: Attributes) => boolean = ROLE_MAIN): string[] {
  const out: string[] = [];
  let depth = 0; // open elements, to know when the main part closes
  let mainDepth = -1;
  let paragraph: string[] | null = null;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        depth++;
        if (mainDepth < 0 && isMain(attrs)) mainDepth = depth;
        if (mainDepth >= 0 && name === 'p') paragraph = [];
      },
      ontext(text) {
        paragraph?.push(text);
      },
      onclosetag(name) {
        if (name === 'p' && paragraph) {
          const text = paragraph.join('').replace(/\s+/g, ' ').trim();
          if (/[a-z]/.test(text)) out.push(text);
          paragraph = null;
        }
        if (depth === mainDepth) mainDepth = -1;
        depth--;
      },
    },
    { decodeEntities: true },
  );
  parser.write(html);
  parser.end();
  return out;
}

/** Every page under `dir` in a fixed order, leaving out what is not prose. */
function pages(dir: string, skip: RegExp): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs
      .readdirSync(path.join(dir, rel), { withFileTypes: true })
      .sort((a, b) => byNaturalName(a.name, b.name))) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (skip.test(child)) continue;
      if (entry.isDirectory()) walk(child);
      else if (entry.name.endsWith('.html')) out.push(child);
    }
  };
  walk('');
  return out;
}

export interface SphinxDocsSpec {
  id: string;
  /** The Debian package that installs the pages. */
  debianPackage: string;
  dir: string;
  /** Relative paths (folders or pages) that hold no prose of their own. */
  skip: RegExp;
  /** Which element holds a page's own content, where the theme does not mark it role="main". */
  isMain?: (attrs: Attributes) => boolean;
}

/** Sphinx's generated folders and pages: sources, assets, indexes, search. */
const SPHINX_SKIP =
  /^(?:_sources|_static|_images|_downloads)(?:\/|$)|(?:^|\/)(?:genindex[^/]*|search|py-modindex|objects)\.html$/;

export function sphinxDocs(spec: SphinxDocsSpec): SentenceSource {
  return {
    id: spec.id,
    version: () => debianPackageVersion(spec.debianPackage),
    async *records(): AsyncIterable<RawText> {
      if (!fs.existsSync(spec.dir))
        throw new Error(`${spec.id}: ${spec.dir} not found; ${INSTALL_HINT} (Debian package ${spec.debianPackage})`);
      for (const page of pages(spec.dir, spec.skip)) {
        const doc = page.replace(/\.html$/, '');
        for (const text of sphinxParagraphs(fs.readFileSync(path.join(spec.dir, page), 'utf8'), spec.isMain)) {
          yield { source: spec.id, doc, kind: 'paragraph', text };
        }
      }
    },
  };
}

const DOCS_ROOT = process.env.KADAPTER_DEBIAN_DOCS_DIR ?? '/usr/share/doc';

/** A package whose pages are in /usr/share/doc/<package>/html unless `spec` says otherwise. */
const debianDocs = (id: string, debianPackage: string, spec: Partial<SphinxDocsSpec> = {}) =>
  sphinxDocs({ id, debianPackage, dir: path.join(DOCS_ROOT, debianPackage, 'html'), skip: SPHINX_SKIP, ...spec });

// The translations repeat the English pages in other languages.
export const linuxDoc = debianDocs('linux-doc', 'linux-doc-6.1', {
  skip: new RegExp(`${SPHINX_SKIP.source}|^translations(?:/|$)`),
});
export const pythonDoc = debianDocs('python-doc', 'python3.11-doc', {
  dir: path.join(DOCS_ROOT, 'python3.11', 'html'),
});
export const djangoDoc = debianDocs('django-doc', 'python-django-doc', { isMain: (attrs) => attrs.id === 'yui-main' });
export const sqlalchemyDoc = debianDocs('sqlalchemy-doc', 'python-sqlalchemy-doc');
export const sklearnDoc = debianDocs('sklearn-doc', 'python-sklearn-doc');
