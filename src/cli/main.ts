// Placeholder replaced by the CLI in the verifier issue.
export async function main(_argv: string[]): Promise<number> {
  return 0;
}
