import { describe, expect, it } from 'vitest';
import {
  LineSplitter,
  truncateUtf8,
  utf8Boundary,
} from '../../../agent/src/sources/files/line-splitter.js';

interface Emitted {
  message: string;
  bytes: number;
  truncated: boolean;
  endOffset: number;
}

function split(
  chunks: (string | Buffer)[],
  maxLineBytes = 64,
): { lines: Emitted[]; splitter: LineSplitter } {
  const splitter = new LineSplitter(maxLineBytes);
  const lines: Emitted[] = [];
  let offset = 0;
  for (const chunk of chunks) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    splitter.push(buf, offset, (message, bytes, truncated, endOffset) =>
      lines.push({ message, bytes, truncated, endOffset }),
    );
    offset += buf.length;
  }
  return { lines, splitter };
}

describe('Class: LineSplitter', () => {
  it('splits on newlines with the offset past each line', () => {
    const { lines, splitter } = split(['one\ntwo\nthr', 'ee\n']);

    expect(lines).toEqual([
      { message: 'one', bytes: 3, truncated: false, endOffset: 4 },
      { message: 'two', bytes: 3, truncated: false, endOffset: 8 },
      { message: 'three', bytes: 5, truncated: false, endOffset: 14 },
    ]);
    expect(splitter.hasPartial).toBe(false);
  });

  it('strips CRLF, also when the CR ends one chunk and the LF starts the next', () => {
    const { lines } = split(['a\r\nb\r', '\nc\r\r\n']);

    expect(lines.map((line) => line.message)).toEqual(['a', 'b', 'c\r']);
  });

  it('holds an unterminated line until it completes', () => {
    const { lines, splitter } = split(['partial']);

    expect(lines).toEqual([]);
    expect(splitter.hasPartial).toBe(true);
  });

  it('flushes a held partial line on demand', () => {
    const { splitter } = split(['tail without newline']);
    const flushed: string[] = [];

    splitter.flushPartial(20, (message, _bytes, _truncated, endOffset) => {
      flushed.push(`${message}@${endOffset}`);
    });

    expect(flushed).toEqual(['tail without newline@20']);
    expect(splitter.hasPartial).toBe(false);
  });

  it('replaces invalid UTF-8 with U+FFFD', () => {
    const { lines } = split([Buffer.from([0x61, 0xff, 0x62, 0x0a])]);

    expect(lines[0]?.message).toBe('a\uFFFDb');
  });

  it('keeps multi-byte characters split across chunks intact', () => {
    const euro = Buffer.from('€\n');
    const { lines } = split([euro.subarray(0, 1), euro.subarray(1, 2), euro.subarray(2)]);

    expect(lines[0]?.message).toBe('€');
  });

  it('truncates a long line in one chunk and skips its rest', () => {
    const { lines } = split([`${'x'.repeat(100)}\nnext\n`], 10);

    expect(lines).toEqual([
      { message: 'x'.repeat(10), bytes: 10, truncated: true, endOffset: 101 },
      { message: 'next', bytes: 4, truncated: false, endOffset: 106 },
    ]);
  });

  it('truncates a long line spread over many chunks without emitting its rest', () => {
    const chunks = [...Array.from({ length: 50 }, () => 'y'.repeat(7)), '\nafter\n'];
    const { lines } = split(chunks, 10);

    expect(lines.map((line) => [line.message, line.truncated])).toEqual([
      ['y'.repeat(10), true],
      ['after', false],
    ]);
    expect(lines[0]?.endOffset).toBe(351);
  });

  it('cuts a truncated line at a UTF-8 character boundary', () => {
    // 'aé€' is 1 + 2 + 3 bytes: a cut at 5 bytes must drop the whole '€'.
    const { lines } = split(['aé€€\n'], 5);

    expect(lines[0]).toMatchObject({ message: 'aé', bytes: 3, truncated: true });
  });

  it('does not flag a line of exactly the limit, with or without CR', () => {
    const { lines } = split(['abcde\nabcde\r\n', 'abc', 'de\r', '\n'], 5);

    expect(lines.map((line) => [line.message, line.truncated])).toEqual([
      ['abcde', false],
      ['abcde', false],
      ['abcde', false],
    ]);
  });

  it('rejects a limit that is not a positive integer', () => {
    expect(() => new LineSplitter(0)).toThrow(RangeError);
  });
});

describe('Function: utf8Boundary', () => {
  it.each([
    ['abc', 2, 2],
    ['é', 1, 0],
    ['a€', 2, 1],
    ['a€', 3, 1],
    ['a€', 4, 4],
    ['😀x', 3, 0],
  ])('cuts %j at %i to %i bytes', (text, limit, cut) => {
    expect(utf8Boundary(Buffer.from(text), 0, limit)).toBe(cut);
  });
});

describe('Function: truncateUtf8', () => {
  it('keeps short strings as they are', () => {
    expect(truncateUtf8('héllo', 10)).toEqual({ text: 'héllo', truncated: false });
  });

  it('cuts long ones without splitting a character', () => {
    expect(truncateUtf8('😀😀', 6)).toEqual({ text: '😀', truncated: true });
  });
});
