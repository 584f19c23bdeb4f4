// For contributors with internet access: `npx @vscode/test-cli` downloads a VS Code build and runs
// the extension's tests inside it. CI cannot download VS Code, so it runs the end-to-end suite in
// code-server instead (npm run test:e2e, see README).
export default {
  files: 'out/vscode-tests/**/*.test.js',
  version: '1.139.1',
  extensionDevelopmentPath: '.',
  workspaceFolder: './examples',
  launchArgs: ['--disable-extensions'],
};
