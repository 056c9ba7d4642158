// An ES module whose namespace object `module.test.ts` instruments.
export function summarize(text: string): string {
  return `summary: ${text}`;
}

export async function translate(text: string, to: string): Promise<string> {
  return `${to}: ${text}`;
}

export const VERSION = '1.0.0';
