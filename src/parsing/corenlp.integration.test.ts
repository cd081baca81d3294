import { describe, expect, inject, it } from 'vitest';
import { CoreNlpClient } from './corenlp-client.ts';
import { isLoopback, listeningAddresses } from '../../test/listening.ts';
import { pythonSlice } from '../../test/fixtures/astral-sentence.ts';
import { exampleProblem, fromCoreNlp } from './dependency.ts';
import { toFindHead } from './find-head.ts';
import { typingRows } from '../facts/typing.ts';

const url = inject('corenlpUrl');

describe('CoreNLP server (real)', () => {
  it('parses the fox sentence with the expected dependency heads', async () => {
    const client = new CoreNlpClient(url, { timeoutMs: 60_000 });
    const doc = await client.annotate('The quick brown fox jumps over the lazy dog.', [
      'tokenize',
      'ssplit',
      'pos',
      'depparse',
    ]);
    expect(doc.sentences).toHaveLength(1);
    const sentence = doc.sentences[0]!;
    const words = sentence.tokens.map((t) => t.word);
    expect(words).toEqual(['The', 'quick', 'brown', 'fox', 'jumps', 'over', 'the', 'lazy', 'dog', '.']);
    // CoNLL-U convention: 1-based head index per word, 0 for the root.
    const heads = new Array<number>(words.length).fill(-1);
    const rels = new Array<string>(words.length).fill('');
    for (const d of sentence.basicDependencies!) {
      heads[d.dependent - 1] = d.governor;
      rels[d.dependent - 1] = d.dep;
    }
    expect(heads).toEqual([4, 4, 4, 5, 0, 9, 9, 9, 5, 5]);
    expect(rels).toEqual(['det', 'amod', 'amod', 'nsubj', 'ROOT', 'case', 'det', 'amod', 'obl', 'punct']);
    expect(sentence.tokens.map((t) => t.pos)).toEqual(['DT', 'JJ', 'JJ', 'NN', 'VBZ', 'IN', 'DT', 'JJ', 'NN', '.']);
  });

  it('keeps one sentence per line with ssplit.eolonly', async () => {
    const client = new CoreNlpClient(url, { timeoutMs: 60_000 });
    const doc = await client.annotate('Dr. Smith arrived. He sat down\nA second line', ['tokenize', 'ssplit'], {
      'ssplit.eolonly': true,
    });
    expect(doc.sentences.map((s) => s.tokens.map((t) => t.word).join(' '))).toEqual([
      'Dr. Smith arrived . He sat down',
      'A second line',
    ]);
  });

  it('parses the text exactly as sent: no character is escaped or decoded on the way', async () => {
    const client = new CoreNlpClient(url, { timeoutMs: 60_000 });
    const text = 'A 2% tax (of +2/3) isn\'t "fine" — 100 * 3 = 300! Café & crème 🚀 are #1.';
    const doc = await client.annotate(text, ['tokenize', 'ssplit'], { 'ssplit.eolonly': true });
    const tokens = doc.sentences.flatMap((s) => s.tokens);
    for (const t of tokens) expect(text.slice(t.characterOffsetBegin, t.characterOffsetEnd)).toBe(t.originalText);
    expect(tokens.map((t) => t.originalText)).toEqual(
      expect.arrayContaining(['%', '(', '+2', ')', '!', 'Café', '&', '🚀']),
    );
  });

  it('carries a word after an emoji from the parse to find_head and a typing row in code points', async () => {
    const client = new CoreNlpClient(url, { timeoutMs: 60_000 });
    const text = '😀 Angela Merkel visited 北京 .';
    // tokenize.codepoint adds CoreNLP's own code-point offsets to check ours against.
    const doc = await client.annotate(text, ['tokenize', 'ssplit', 'pos', 'depparse'], {
      'ssplit.eolonly': true,
      'tokenize.codepoint': true,
    });
    const sentence = doc.sentences[0]!;
    const ex = { id: 'e', source: 'test', text, ...fromCoreNlp(sentence, 0) };
    expect(exampleProblem(ex)).toBeNull();
    const merkel = ex.tokens.indexOf('Merkel');
    expect(ex.offsets[merkel]).toEqual([10, 16]);
    const spans = toFindHead(ex).tokens.map((t, i) => t[String(i + 1)]!);
    expect(spans).toEqual(sentence.tokens.map((t) => ({ start: t.codepointOffsetBegin, end: t.codepointOffsetEnd })));
    expect(spans[merkel]).toEqual({ start: 9, end: 15 });
    const [row] = typingRows(ex, [{ start: merkel - 1, end: merkel, ids: ['p'] }], () => ['person']);
    expect(pythonSlice(text, row!.start, row!.end)).toBe('Angela Merkel');
  });

  it('listens on loopback only', () => {
    const port = Number(new URL(url).port);
    const addresses = listeningAddresses(port);
    expect(addresses.length).toBeGreaterThan(0);
    expect(addresses.filter((a) => !isLoopback(a))).toEqual([]);
  });
});
