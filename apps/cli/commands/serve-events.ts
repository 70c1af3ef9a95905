/**
 * `arcface serve` options of events out: an MQTT broker, webhooks and their secret, the server's id
 * and public address, and whether configured streams run with nobody following them.
 */
import { readFileSync, statSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { ArcFaceError } from '../../../src/core/index.js';
import { defaultServerId, MQTT_DEFAULTS, redactUrl, type EventOutOptions } from '../../server/services/event-out/index.js';

/** The parsed options. */
export interface ServeEventCliOptions {
  mqtt?: string;
  mqttTopicPrefix: string;
  mqttDiscovery?: boolean;
  mqttPasswordFile?: string;
  serverId?: string;
  webhook: string[];
  webhookSecretFile?: string;
  publicUrl?: string;
  streamAlways?: boolean;
}

function urlOption(name: string, schemes: readonly string[]): (value: string) => string {
  return (value: string): string => {
    let u: URL;
    try {
      u = new URL(value);
    } catch {
      throw new InvalidArgumentError(`Expected a URL for ${name} but received "${redactUrl(value)}"`);
    }
    if (!schemes.includes(u.protocol))
      throw new InvalidArgumentError(`Expected a ${schemes.map((s) => `${s}//`).join(' or ')} URL for ${name} but received "${redactUrl(value)}"`);
    return value;
  };
}

function collectWebhook(value: string, previous: string[]): string[] {
  return [...previous, urlOption('--webhook', ['http:', 'https:'])(value)];
}

function parseTopicPrefix(value: string): string {
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(value)) {
    throw new InvalidArgumentError(`Expected --mqtt-topic-prefix of topic levels (letters, digits, . _ -) joined by / but received "${value}"`);
  }
  return value;
}

function parseServerId(value: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(value))
    throw new InvalidArgumentError(`Expected --server-id of 1 to 64 letters, digits, . _ or - but received "${value}"`);
  return value;
}

/** A secret from its file, trimmed; refused when unreadable or empty, warned about when others may read it. */
function readSecretFile(option: string, file: string, warn: (line: string) => void): Buffer {
  let secret: Buffer;
  try {
    secret = Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8');
    if ((statSync(file).mode & 0o077) !== 0) warn(`warning: ${file} can be read by other users; chmod 600 it\n`);
  } catch (err) {
    throw new ArcFaceError(
      'INVALID_ARGUMENT',
      `Expected a readable ${option} but "${file}" could not be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  if (secret.length === 0) throw new ArcFaceError('INVALID_ARGUMENT', `Expected a secret in ${option} but "${file}" is empty`);
  return secret;
}

/**
 * Adds the events-out options to the `serve` command.
 *
 * @example
 * addEventOptions(program.command('serve'))
 */
export function addEventOptions(command: Command): Command {
  return command
    .option(
      '--mqtt <url>',
      'publish events and stream states to this MQTT broker (mqtt://host:1883, mqtts://…; see docs/events.md)',
      urlOption('--mqtt', ['mqtt:', 'mqtts:']),
    )
    .option('--mqtt-topic-prefix <prefix>', 'first level(s) of every MQTT topic', parseTopicPrefix, MQTT_DEFAULTS.topicPrefix)
    .option('--mqtt-password-file <file>', 'file holding the broker password (the user name goes in the URL: mqtt://user@host)')
    .option('--mqtt-discovery', 'announce one Home Assistant sensor per --stream (MQTT discovery under homeassistant/)')
    .option('--server-id <id>', `this server's id in MQTT topics and event payloads (default: the host name, ${defaultServerId()})`, parseServerId)
    .option('--webhook <url>', 'POST every event, signed, to this URL (repeatable; needs --webhook-secret-file)', collectWebhook, [])
    .option('--webhook-secret-file <file>', 'file holding the key of the webhooks’ HMAC-SHA256 signatures')
    .option(
      '--public-url <url>',
      'the address clients reach this server at, for absolute snapshot links in events',
      urlOption('--public-url', ['http:', 'https:']),
    )
    .option('--stream-always', 'run every --stream from the start, followed or not (default: on with --mqtt or --webhook)');
}

/**
 * The server's event options from the parsed command line; the webhook secret and the broker password are read from their files.
 * Returns undefined when no destination is given.
 *
 * @example
 * const events = eventOptionsFrom(opts, (line) => process.stderr.write(line))
 */
export function eventOptionsFrom(opts: ServeEventCliOptions, warn: (line: string) => void): EventOutOptions | undefined {
  if (opts.webhookSecretFile !== undefined && opts.webhook.length === 0) warn('warning: --webhook-secret-file is set but no --webhook is given\n');
  if (opts.mqtt === undefined && opts.webhook.length === 0) return undefined;
  const mqttPassword = opts.mqttPasswordFile === undefined ? undefined : readSecretFile('--mqtt-password-file', opts.mqttPasswordFile, warn).toString('utf8');
  let webhookSecret: Buffer | undefined;
  if (opts.webhook.length > 0) {
    if (opts.webhookSecretFile === undefined)
      throw new ArcFaceError('INVALID_ARGUMENT', 'Expected --webhook-secret-file with --webhook: every delivery is signed');
    webhookSecret = readSecretFile('--webhook-secret-file', opts.webhookSecretFile, warn);
  }
  return {
    ...(opts.serverId === undefined ? {} : { serverId: opts.serverId }),
    ...(opts.publicUrl === undefined ? {} : { publicUrl: opts.publicUrl }),
    ...(opts.mqtt === undefined
      ? {}
      : {
          mqtt: {
            url: opts.mqtt,
            topicPrefix: opts.mqttTopicPrefix,
            discovery: opts.mqttDiscovery === true,
            ...(mqttPassword === undefined ? {} : { password: mqttPassword }),
          },
        }),
    ...(webhookSecret === undefined ? {} : { webhooks: opts.webhook, webhookSecret }),
  };
}
