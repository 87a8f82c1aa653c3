/** `dinov3 info`: what a model is and what this machine can run. */
import { capabilities } from '../../capabilities';
import { loadModel } from '../../model/model';
import { formatSize, parseSize } from '../../util/size';
import { flag, list, parse, required, str, type Options } from '../args';
import { loadOptions } from '../model-options';
import { compareModels, comparisonImage, type TokenAgreement } from './compare-models';

export const usage = `Usage: dinov3 info --model MODEL.onnx [--backend auto|onnxruntime|tensorrt] [--json]
                   [--compare REFERENCE.onnx [--image IMAGE ...] [--size HxW]]
       dinov3 info --capabilities [--json]

Prints the model contract detected from the file (input, output layout, patch size, registers,
dim, fixed or dynamic size, opset, LayerNormalization/If nodes) and this machine's capabilities.
--compare: the accuracy of MODEL against REFERENCE (e.g. model_quantized.onnx or model_fp16.onnx
against model.onnx): the cosine of every output token (CLS, registers, patches) of the same
images (--image, repeatable; default a synthetic scene) at the same size, mean and minimum.`;

const options: Options = {
  model: { type: 'string' },
  backend: { type: 'string' },
  json: { type: 'boolean' },
  capabilities: { type: 'boolean' },
  compare: { type: 'string' },
  image: { type: 'string', multiple: true },
  size: { type: 'string' },
};

export async function run(argv: readonly string[], out: (s: string) => void): Promise<void> {
  const p = parse(argv, options);
  const caps = capabilities();
  if (flag(p, 'capabilities') && str(p, 'model') === undefined) {
    out(flag(p, 'json') ? JSON.stringify(caps, null, 2) : formatCapabilities(caps));
    return;
  }
  const model = await loadModel(required(p, 'model', usage), loadOptions(p));
  try {
    const i = model.info;
    const referencePath = str(p, 'compare');
    let agreement: TokenAgreement | undefined;
    if (referencePath !== undefined) {
      const reference = await loadModel(referencePath, loadOptions(p));
      try {
        const images = list(p, 'image');
        const sizeText = str(p, 'size');
        agreement = await compareModels(model, reference, images.length > 0 ? images : [comparisonImage()], sizeText === undefined ? i.defaultSize : parseSize(sizeText, '--size'));
      } finally {
        await reference.dispose();
      }
    }
    if (flag(p, 'json')) {
      out(JSON.stringify({ model: i, capabilities: caps, ...(agreement ? { compare: { reference: referencePath, ...agreement } } : {}) }, null, 2));
      return;
    }
    out(
      [
        `model        ${i.path}`,
        `backend      ${i.backend}`,
        `input        ${i.inputName} ${i.inputType} [batch, 3, ${i.fixedSize ? `${i.fixedSize.height}, ${i.fixedSize.width}` : 'height, width'}]`,
        `outputs      ${i.outputLayout === 'last_hidden_state' ? 'last_hidden_state [batch, 1 + registers + patches, dim]' : 'x_norm_clstoken / x_norm_regtokens / x_norm_patchtokens'}`,
        `patch size   ${i.patchSize}`,
        `dim          ${i.dim}`,
        `registers    ${i.registers}`,
        `size         ${i.fixedSize ? `fixed ${formatSize(i.fixedSize)}` : `dynamic (multiples of ${i.patchSize}); default ${formatSize(i.defaultSize)}`}`,
        `normalise    mean [${i.mean.join(', ')}] std [${i.std.join(', ')}]`,
        `graph        opset ${i.graph.opset ?? '?'}, ${i.graph.nodes} nodes, ${(i.graph.parameterBytes / 1e6).toFixed(1)} MB of weights${i.graph.externalData ? ' (external data)' : ''}`,
        `             LayerNormalization: ${i.graph.hasLayerNorm ? 'yes (TensorRT 8.5 cannot parse it; export at opset 16 for JetPack 5)' : 'no'}; If nodes: ${i.graph.hasIf ? 'yes (RoPE export problem on TensorRT 10.3; re-export with tools/export-onnx.py)' : 'no'}`,
        ...(agreement
          ? [
              `compare      against ${referencePath}: per-token cosine mean ${agreement.meanCosine.toFixed(5)}, min ${agreement.minCosine.toFixed(5)}`,
              `             (${agreement.tokens} tokens of ${agreement.images} image(s) at ${formatSize(agreement.size)})`,
            ]
          : []),
        '',
        formatCapabilities(caps),
      ].join('\n'),
    );
  } finally {
    await model.dispose();
  }
}

function formatCapabilities(c: ReturnType<typeof capabilities>): string {
  const status = (s: { compiled: boolean; available: boolean; version?: string; reason?: string }): string =>
    s.available ? `available${s.version ? ` (${s.version})` : ''}` : `${s.compiled ? 'built, ' : ''}unavailable: ${s.reason ?? ''}`;
  return [
    `backends     ${c.backends.join(', ')}`,
    `cuda         ${status(c.cuda)}${c.cuda.devices.map((d) => `\n             GPU ${d.index}: ${d.name} (sm ${d.computeCapability}, ${(d.totalMemory / 2 ** 30).toFixed(1)} GiB)`).join('')}`,
    `tensorrt     ${status(c.tensorrt)}`,
    `gstreamer    ${status(c.gstreamer)}`,
    `nvmm         ${status(c.nvmm)}`,
    `cpu threads  ${c.threads}`,
    `preprocess   ${c.preprocess.kernel} (available: ${c.preprocess.kernels.join(', ')})`,
  ].join('\n');
}
