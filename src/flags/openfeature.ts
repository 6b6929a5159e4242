import { createRequire } from 'node:module';
import type {
  ErrorCode,
  EvaluationContext as OpenFeatureContext,
  JsonValue,
  Provider,
  ResolutionDetails,
} from '@openfeature/server-sdk';
import { SwitchyardError } from '../errors/index.js';
import type { Flags } from './flags.js';
import type { AttributeValue, EvaluationContext, FlagValue } from './types.js';

type Sdk = typeof import('@openfeature/server-sdk');

/**
 * `@openfeature/server-sdk` is an optional peer: loaded when a provider is made, synchronously (its
 * CommonJS build), so `switchyardProvider` stays a plain function. The SDK only calls methods on the
 * provider and its event emitter, so it does not matter which of its builds the application loaded.
 */
function loadSdk(): Sdk {
  try {
    return createRequire(import.meta.url)('@openfeature/server-sdk') as Sdk;
  } catch (error) {
    throw new SwitchyardError(
      'FAILED_PRECONDITION',
      'switchyardProvider needs the `@openfeature/server-sdk` package installed',
      { cause: error },
    );
  }
}

/**
 * An OpenFeature provider over Switchyard flags, so services evaluate the same flags as the gateway
 * with the vendor-neutral API. Changes are announced as PROVIDER_CONFIGURATION_CHANGED; a source
 * error as PROVIDER_STALE (the last flags keep being served) and its recovery as PROVIDER_READY.
 * Closing the provider leaves `flags` open: its owner closes it.
 */
export function switchyardProvider(flags: Flags): Provider {
  const sdk = loadSdk();
  const events = new sdk.OpenFeatureEventEmitter();
  const unsubscribe: Array<() => void> = [];

  function resolve<T>(
    key: string,
    defaultValue: T,
    context: OpenFeatureContext,
    fits: (value: FlagValue) => boolean,
  ): Promise<ResolutionDetails<T>> {
    const evaluation = flags.evaluate(key, toContext(context));
    if (evaluation.reason === 'ERROR')
      return Promise.resolve({
        value: defaultValue,
        reason: 'ERROR',
        errorCode: evaluation.errorCode as ErrorCode,
        errorMessage: evaluation.errorMessage ?? 'evaluation failed',
      });
    if (!fits(evaluation.value!))
      return Promise.resolve({
        value: defaultValue,
        reason: 'ERROR',
        errorCode: sdk.ErrorCode.TYPE_MISMATCH,
        errorMessage: `flag ${key} is not of the requested type`,
      });
    return Promise.resolve({
      value: evaluation.value as T,
      variant: evaluation.variant!,
      reason: evaluation.reason,
    });
  }

  return {
    metadata: { name: 'switchyard' },
    runsOn: 'server',
    events,
    async initialize() {
      await flags.ready();
      let stale = false;
      unsubscribe.push(
        flags.onChange(({ changed }) => {
          if (stale) events.emit(sdk.ProviderEvents.Ready);
          stale = false;
          if (changed.length > 0)
            events.emit(sdk.ProviderEvents.ConfigurationChanged, { flagsChanged: [...changed] });
        }),
        flags.onError((error) => {
          stale = true;
          events.emit(sdk.ProviderEvents.Stale, { message: error.message });
        }),
      );
    },
    async onClose() {
      for (const stop of unsubscribe.splice(0)) stop();
    },
    resolveBooleanEvaluation: (key, defaultValue, context) =>
      resolve(key, defaultValue, context, (v) => typeof v === 'boolean'),
    resolveStringEvaluation: (key, defaultValue, context) =>
      resolve(key, defaultValue, context, (v) => typeof v === 'string'),
    resolveNumberEvaluation: (key, defaultValue, context) =>
      resolve(key, defaultValue, context, (v) => typeof v === 'number'),
    resolveObjectEvaluation: <T extends JsonValue>(
      key: string,
      defaultValue: T,
      context: OpenFeatureContext,
    ) => resolve(key, defaultValue, context, (v) => typeof v === 'object' && v !== null),
  };
}

/** OpenFeature's context as ours: scalar attributes as they are, dates as ISO strings, the rest dropped. */
function toContext(context: OpenFeatureContext): EvaluationContext {
  const attributes: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(context)) {
    if (name === 'targetingKey') continue;
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
      attributes[name] = value;
    else if (value instanceof Date) attributes[name] = value.toISOString();
  }
  return {
    ...(typeof context.targetingKey === 'string' ? { targetingKey: context.targetingKey } : {}),
    attributes,
  };
}
