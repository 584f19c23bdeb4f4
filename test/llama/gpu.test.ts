import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createLlamaValueSource, type LlamaSourceOptions } from '../../server/backends/llama/llamaScorer';
import { loadLlamaModule } from '../../server/backends/llama/loader';
import { releaseAllModels } from '../../server/backends/llama/modelRegistry';
import { explainText } from '../../server/engine/explain';
import { runCli } from '../helpers/runCli';
import { STORY, TINY_MODEL_PATH, tinyModelSkip } from './tinyModel';

const options = (overrides: Partial<LlamaSourceOptions>): LlamaSourceOptions => ({
  model: TINY_MODEL_PATH,
  raw: false,
  value: 'auto',
  maxAnswerTokens: 8,
  concurrency: 2,
  threads: 0,
  prompt: STORY,
  ...overrides,
});

/**
 * The real node-llama-cpp on this machine: where node-llama-cpp detects no GPU (CI, this 2-core box)
 * `auto` must run on the CPU and say why; where it detects one whose binary is installed (a device
 * machine), the model must be on it. Each branch asserts what that machine must do.
 */
describe('the llama backend on the GPU, or on the CPU with the reason', { skip: tinyModelSkip() }, () => {
  let hasGpu = false;
  before(async () => {
    const supported = await (await loadLlamaModule()).getLlamaGpuTypes('supported');
    hasGpu = supported.some((gpu) => gpu !== false);
  });
  after(() => releaseAllModels());

  it('auto reports the device, the layers offloaded and the memory used, in the explanation and the usage line', async () => {
    const source = await createLlamaValueSource(options({ gpu: 'auto' }));
    const explanation = await explainText({
      text: STORY,
      granularity: 'sentence',
      masking: { kind: 'remove' },
      source,
      algorithm: 'auto',
      budget: 64,
      maxOrder: 3,
      index: 'fsii',
      order: 2,
      top: 5,
      seed: 0,
      concurrency: 2,
    });
    const device = explanation.device;
    assert.ok(device, 'a llama explanation carries its device');
    // node-llama-cpp counts the tiny model's 5 blocks and its output layer.
    assert.equal(device.totalLayers, 6);
    if (device.kind !== 'cpu') {
      assert.ok(hasGpu, 'a GPU is used only where node-llama-cpp detects one');
      assert.equal(device.gpuLayers, 6, 'a 1.2 MB model fits any GPU whole');
      assert.equal(device.note, undefined);
      assert.ok(device.vramBytes > 0 && device.gpus.length > 0, JSON.stringify(device));
      assert.match(source.usage?.() ?? '', /^llama on (CUDA|Vulkan|Metal) \(.+\), 6 of 6 layers on the GPU, [\d.]+ [kMG]B of GPU memory/u);
    } else {
      assert.equal(device.gpuLayers, 0);
      assert.ok(device.ramBytes > 1_000_000, `llama.cpp holds the 1.2 MB model and a context in RAM: ${device.ramBytes}`);
      // No GPU detected, or one detected whose binary is missing or fails here: the reason either way.
      assert.match(
        device.note ?? '',
        hasGpu ? /^(CUDA|Vulkan|Metal) found, but|failed to load: /u : /^no GPU found: node-llama-cpp detected neither/u,
      );
      assert.match(source.usage?.() ?? '', /^llama on CPU, [\d.]+ MB of RAM; .+; [\d.]+ tokens evaluated per prompt over \d+ prompts/u);
    }
  });

  it('off runs on the CPU with no note, and its values equal the GPU values to 1e-3 nats where a GPU runs', async () => {
    const cpu = await createLlamaValueSource(options({ gpu: 'off' }));
    assert.equal(cpu.device().kind, 'cpu');
    assert.equal(cpu.device().note, undefined);
    const gpu = await createLlamaValueSource(options({ gpu: 'auto' }));
    if (gpu.device().kind === 'cpu') return;
    assert.deepEqual(
      gpu.answer.map((token) => token.id),
      cpu.answer.map((token) => token.id),
    );
    for (const text of [STORY, STORY.split('. ').slice(1).join('. '), STORY.split('. ').slice(0, 3).join('. ')]) {
      const [onCpu, onGpu] = [await cpu.score(text, new Uint8Array()), await gpu.score(text, new Uint8Array())];
      assert.ok(Math.abs(onCpu - onGpu) < 1e-3, `CPU ${onCpu} and GPU ${onGpu} differ by more than 1e-3`);
    }
  });

  it('the CLI says at the start why the model runs on the CPU, and an explicit GPU that cannot load stops the run', async () => {
    const auto = await runCli(
      ['explain', '-', '--backend', 'llama', '--model', TINY_MODEL_PATH, '--no-cache', '--budget', '18', '--quiet'],
      {
        input: STORY,
      },
    );
    assert.equal(auto.code, 0, auto.stderr);
    if (hasGpu) return;
    assert.match(auto.stderr, /^spex: llama on CPU, [\d.]+ MB of RAM; no GPU found: /u);
    // Without a GPU no explicit GPU loads: the run stops at once with one line naming the GPU API.
    const vulkan = await runCli(['explain', '-', '--backend', 'llama', '--model', TINY_MODEL_PATH, '--no-cache', '--gpu', 'vulkan'], {
      input: STORY,
    });
    assert.equal(vulkan.code, 1);
    assert.match(vulkan.stderr, /^spex: The GPU choice "vulkan" \(--gpu, spex\.gpu\) (cannot be used|needs)/u);
    assert.equal(vulkan.stderr.trim().split('\n').length, 1, vulkan.stderr);
  });
});
