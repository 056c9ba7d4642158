/**
 * `embeddings.create` (operation `embeddings`).
 *
 * @internal
 */
import {
  ATTR_GEN_AI_REQUEST_ENCODING_FORMATS,
  GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS,
  GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
} from '@driftwatch/semconv';
import type { OperationSpec } from '../stainless';
import { str } from './params';

type Obj = Record<string, any>;

/** Length of one returned embedding: an array (or typed array), or base64 float32 bytes. */
function dimensionOf(embedding: unknown): number | undefined {
  if (Array.isArray(embedding) || ArrayBuffer.isView(embedding)) return (embedding as { length: number }).length;
  if (typeof embedding === 'string') {
    const padding = embedding.endsWith('==') ? 2 : embedding.endsWith('=') ? 1 : 0;
    return Math.floor(((embedding.length * 3) / 4 - padding) / 4);
  }
  return undefined;
}

/** The Embeddings API. `gen_ai.embeddings.dimension.count` is the length of the vectors returned. */
export const embeddingsSpec: OperationSpec = {
  request(p, server) {
    return {
      operation: GEN_AI_OPERATION_NAME_VALUE_EMBEDDINGS,
      provider: GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
      model: str(p.model),
      ...server,
    };
  },
  started(p, recorder) {
    const format = str(p.encoding_format);
    if (format && recorder.span.isRecording()) recorder.span.setAttribute(ATTR_GEN_AI_REQUEST_ENCODING_FORMATS, [format]);
  },
  result(value, recorder) {
    if (value === null || typeof value !== 'object') return;
    const r = value as Obj;
    const first = Array.isArray(r.data) ? (r.data[0] as Obj | undefined) : undefined;
    const usage = r.usage as Obj | undefined;
    recorder.setResponse({
      responseModel: str(r.model),
      embeddingDimensions: dimensionOf(first?.embedding),
      usage: usage ? { inputTokens: usage.prompt_tokens as number | undefined } : undefined,
    });
  },
};
