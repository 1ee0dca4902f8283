export const binAttacks: {
  name: string;
  what: string;
  run(scale: number): Promise<import('./common.ts').Row>;
}[] = [];
