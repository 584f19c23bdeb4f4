#!/usr/bin/env node
// An offline scorer for `spex explain --exec`: it needs no model, so anyone can see a full
// explanation. It speaks the exec protocol (JSON Lines on stdin/stdout): each request
// {"id", "mask", "text"} gets {"id", "value"}. The value imitates the log-probability of the answer
// "1931, designed by Ana Okafor" for examples/rag-context.md, with interactions planted on purpose:
//   - synergy: the year (document 3) only answers the question together with the bridge's name
//     (document 1), so the pair {1, 3} is worth more than its parts;
//   - redundancy: documents 2 and 4 both name the designer, so either one alone does most of the work;
//   - a distractor: document 5 gives another bridge's year, which lowers the value.
import { createInterface } from 'node:readline';

const has = (text, phrase) => text.includes(phrase);

export function score(text) {
  const names = has(text, 'The Mira bridge');
  const year = has(text, 'opened to traffic in 1931');
  const designerA = has(text, 'Ana Okafor');
  const designerB = has(text, "Okafor's studio");
  const distractor = has(text, 'opened in 1929');
  let value = -9;
  if (names) value += 0.6;
  if (year) value += 1.2;
  if (names && year) value += 2.4;
  if (designerA || designerB) value += 2.5;
  if (designerA) value += 0.4;
  if (distractor) value -= 0.9;
  if (distractor && year && !names) value -= 0.8;
  return value;
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  const { id, text } = JSON.parse(line);
  process.stdout.write(`${JSON.stringify({ id, value: score(text) })}\n`);
});
