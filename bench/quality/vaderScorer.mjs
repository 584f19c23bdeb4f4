#!/usr/bin/env node
// A real, non-sparse value function for the quality benchmark: VADER's compound sentiment score of
// the masked text (npm vader-sentiment, a rule-based model with negation, "but" and intensifier
// rules and a saturating normalisation). It speaks the exec protocol: each request {"id", "text"}
// on stdin gets {"id", "value"} on stdout.
import { createInterface } from 'node:readline';
import vader from 'vader-sentiment';

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === '') return;
  const { id, text } = JSON.parse(line);
  const value = vader.SentimentIntensityAnalyzer.polarity_scores(text).compound;
  process.stdout.write(`${JSON.stringify({ id, value })}\n`);
});
