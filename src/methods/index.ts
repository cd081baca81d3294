// The registered adaptation methods: importing this module registers each built-in one once.
// A new method is one module that calls registerMethod; generic code imports this entry.
import { kAdapter } from './k-adapter/method.ts';
import { registerMethod } from './registry.ts';

registerMethod(kAdapter);

export { createAdapter, drawAdapter, method, methodNames, registerMethod } from './registry.ts';
export type { AdaptationMethod, Adapter, BaseShape, SideForwardOptions } from './registry.ts';
