// Loaded into a CLI under test with NODE_OPTIONS=--import=…: standard error claims to be a terminal,
// so the CLI draws its progress line as it does for a person watching, while the test reads the pipe.
Object.defineProperty(process.stderr, 'isTTY', { value: true });
