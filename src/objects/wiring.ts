import { S3ObjectStore } from "../clients/object-store.ts";
import { PostgresProjector, type Projector } from "../clients/projector.ts";
import { RunpodDispatcher } from "../clients/runpod.ts";
import { configFrom, type Config } from "../config.ts";
import { timed } from "../log.ts";
import type { Admission } from "../machine/index.ts";
import type { EventFacts } from "./command-events.ts";
import { effectTable, type EffectDeps, type EffectTable } from "./effects.ts";
import { LEGACY_KEYS, upgradeStored } from "./legacy-storage.ts";
import { ItemLoader } from "./item-loader.ts";
import { Outbox, type OutboxState, type OutboxUser } from "./outbox.ts";
import { projectionOutbox } from "./projection-outbox.ts";
import { purgeOutbox } from "./purge-outbox.ts";
import { idsOf } from "./record.ts";
import { RecordStore, type Upgrade } from "./record-store.ts";
import type { Stored } from "./stored.ts";
import { creatorObject } from "./stubs.ts";
import { UPLOAD_KEY } from "./upload-session.ts";
import { Uploads } from "./uploads.ts";
import { webhookOutbox, type PlatformEvent } from "./webhook-outbox.ts";

/** Everything an item's object works with, built once per instance from its bindings. */
export interface Wiring {
  config: Config;
  projector: Projector;
  store: RecordStore<Stored>;
  effects: EffectTable;
  deps: EffectDeps;
  facts: EventFacts;
  uploads: Uploads;
  loader: ItemLoader;
  /** The platform's webhooks, for the delivery log and redelivery. */
  webhooks: Outbox<PlatformEvent>;
  /** The object's outboxes, one per user: the object loops over this list to store, send and wake. */
  outboxes: Outbox<unknown>[];
}

/** `armAlarm` is the object's: the uploads re-arm it when a session opens or closes. */
export function wire(ctx: DurableObjectState, env: Env, armAlarm: () => Promise<void>): Wiring {
  const config = configFrom(env);
  const projector = new PostgresProjector(config);
  const media = new S3ObjectStore(config.s3);
  const archive = config.archive ? new S3ObjectStore(config.archive) : null;
  const dispatcher = new RunpodDispatcher(config.runpod);
  const deps: EffectDeps = {
    config,
    dispatcher,
    media,
    creator: (rec) => creatorObject(env, rec.context.creatorId),
    background: (work) => ctx.waitUntil(work),
  };
  const record = async () => (await store.read()).lifecycle;

  /** An outbox over its key of the store (each key holds its own user's entries). */
  const outboxOf = <T>(user: OutboxUser<T>) =>
    new Outbox<T>(user, {
      read: async () => (await store.read())[user.key] as OutboxState<T> | undefined,
      update: async (change) => void (await store.update((now) => ({ [user.key]: change(now[user.key] as OutboxState<T> | undefined) }))),
    });
  // The outboxes' users, in one list: what the item owes Postgres, the platform's subscribers, and a deletion.
  const webhooks = outboxOf(webhookOutbox(config));
  const outboxes: Outbox<unknown>[] = [outboxOf(projectionOutbox({ projector, record })), webhooks, outboxOf(purgeOutbox({ projector, media, archive, record }))];

  const store: RecordStore<Stored> = new RecordStore<Stored>(ctx.storage, ["lifecycle", UPLOAD_KEY, ...outboxes.map((o) => o.user.key)], {
    keys: LEGACY_KEYS,
    upgrade: upgradeStored as Upgrade<Stored>,
  });
  const uploads = new Uploads({
    config,
    s3: media,
    declared: (mediaId) => timed("postgres.declared_size", { mediaId }, () => projector.load(mediaId)),
    session: async () => (await store.read())[UPLOAD_KEY],
    closed: async () => {
      const rec = await record();
      if (rec) await timed("creator.close_upload", idsOf(rec), () => deps.creator(rec).closeUpload(rec.context.mediaId)).catch(() => {});
    },
    save: async (session) => {
      await store.update(() => ({ [UPLOAD_KEY]: session }));
      await armAlarm();
    },
  });
  const facts: EventFacts = {
    config,
    // A clip's original is made by its first job, from its source's: either one will do.
    inputExists: (rec) =>
      timed("s3.head", idsOf(rec), async () => (await media.exists(rec.context.inputKey)) || (!!rec.context.clip && (await media.exists(rec.context.clip.sourceKey))), (exists) => ({ exists })),
    finishUpload: (rec) => uploads.finish(rec),
    // The stub's answer is the counter's own Admission, serialised over RPC.
    admit: (rec, attemptId) => timed("creator.admit", idsOf(rec), async () => (await deps.creator(rec).admitJob(attemptId)) as Admission, (a) => ({ ok: a.ok })),
    runpodStatus: (jobId) => timed("runpod.status", { jobId }, () => dispatcher.status(jobId), (v) => ({ runpodStatus: v.status })),
  };
  const loader = new ItemLoader(store, projector, config.deletionCheckMs);
  return { config, projector, store, effects: effectTable(deps), deps, facts, uploads, loader, webhooks, outboxes };
}
