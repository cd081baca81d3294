// The services a command may open. Each is registered once by the module that knows it (CoreNLP
// by src/parsing, Neo4j by src/facts), the way PEFT's methods register themselves, so that the
// supervision in this folder never imports a service's specifics.
import type { z } from 'zod';
import type { Config } from '../config/schema.ts';
import type { Launched } from './launch.ts';

/**
 * The types of each service, by name: `address`, what a client needs to reach it; `kept`, what the
 * state file of `services start` records besides the process to reach it again. A service's module
 * adds its entry by declaration merging:
 *
 *   declare module '../services/registry.ts' {
 *     interface ServiceTypes { corenlp: { address: string[]; kept: { url: string } } }
 *   }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by declaration merging
export interface ServiceTypes {}

export type ServiceName = keyof ServiceTypes & string;
export type Address<N extends ServiceName> = ServiceTypes[N] extends { address: infer A } ? A : never;
export type KeptFields<N extends ServiceName> = ServiceTypes[N] extends { kept: infer K extends object } ? K : never;

export interface StartOptions {
  /** Detached instances outlive this process (services start); attached ones die with it. */
  detached: boolean;
  logFile: string;
}

export interface Started<N extends ServiceName> extends Launched {
  address: Address<N>;
  version: string | null;
  /** What the state file records if the instance is kept (services start). */
  keep: KeptFields<N>;
}

export interface ServiceDefinition<N extends ServiceName> {
  /** Its key in sessions, in the state file and in `services status`. */
  readonly name: N;
  /** As messages name it: "CoreNLP server". */
  readonly title: string;
  /** The external service the configuration may name instead of an own one. */
  readonly external: {
    /** The environment variable that names it, as messages and `services status` cite it. */
    readonly variable: string;
    address(config: Config): Address<N> | null;
    /** How the message starts when one of its servers fails its probe ("<title> <server> (<variable>) …"). */
    failing(server: string): string;
  };
  /** The servers behind an address, each probed and listed on its own; default: the address itself. */
  servers?(address: Address<N>): Address<N>[];
  /** The address as messages and `services status` show it; never a secret. */
  describe(address: Address<N>): string;
  /** Throws unless the service at `address` does real work; resolves with the version it reports, if any. */
  probe(address: Address<N>, config: Config): Promise<string | null>;
  /** Fetches and builds what `start` needs, without starting (services fetch); returns the folder of its jars. */
  provision(config: Config): string;
  /** Starts an own instance on a free loopback port; resolves once it is healthy. */
  start(config: Config, opts: StartOptions): Promise<Started<N>>;
  readonly kept: {
    /** Checks what the state file holds for it (the process fields aside). */
    readonly schema: z.ZodType<KeptFields<N>>;
    address(kept: KeptFields<N>, config: Config): Address<N>;
    /** Whether a kept instance serves this configuration (say, the same data folder); default: yes. */
    serves?(kept: KeptFields<N>, config: Config): boolean;
  };
}

/** Any one registered definition, with its own name. */
export type AnyServiceDefinition = { [N in ServiceName]: ServiceDefinition<N> }[ServiceName];

// Under each name, that name's definition only: registerService is the one writer.
const definitions = new Map<ServiceName, AnyServiceDefinition>();

export function registerService<N extends ServiceName>(def: ServiceDefinition<N>): void {
  const known = definitions.get(def.name);
  if (known !== undefined && known !== def) throw new Error(`service "${def.name}" is registered twice`);
  definitions.set(def.name, def as AnyServiceDefinition);
}

export function serviceDefinition<N extends ServiceName>(name: N): ServiceDefinition<N> {
  const def = definitions.get(name);
  if (def === undefined) {
    throw new Error(`no service "${name}" is registered: import the module that defines it (pipeline/service-definitions.ts) before opening a session`);
  }
  return def as ServiceDefinition<N>;
}

/** Every registered service, in the order of registration. */
export function registeredServices(): AnyServiceDefinition[] {
  return [...definitions.values()];
}
