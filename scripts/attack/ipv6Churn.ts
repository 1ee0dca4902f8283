import type { HubAttack } from './harness.ts';
export const ipv6Churn: HubAttack = {
  name: 'ipv6-churn',
  seconds: 15,
  async prepare() {
    return { skip: 'todo' };
  },
  async run() {},
};
