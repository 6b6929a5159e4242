import { FormatRegistry } from '@sinclair/typebox';

/**
 * TypeBox rejects values of formats it has no checker for, so the JSON Schema formats contracts
 * commonly use are registered here, once, before any schema is compiled.
 */
const dateTime = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;
const date = /^\d{4}-\d{2}-\d{2}$/;
const time = /^\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})?$/;
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const email = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ipv4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;

const formats: Record<string, (value: string) => boolean> = {
  'date-time': (v) => dateTime.test(v) && !Number.isNaN(Date.parse(v)),
  date: (v) => date.test(v) && !Number.isNaN(Date.parse(v)),
  time: (v) => time.test(v),
  uuid: (v) => uuid.test(v),
  email: (v) => email.test(v),
  uri: (v) => URL.canParse(v),
  ipv4: (v) => ipv4.test(v),
  ipv6: (v) => v.includes(':') && URL.canParse(`http://[${v}]/`),
};

export function registerFormats(): void {
  for (const [name, check] of Object.entries(formats))
    if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check);
}
