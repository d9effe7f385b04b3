import { createApp } from "./app.ts";

export { MediaObject } from "./objects/media-object.ts";
export { CreatorObject } from "./objects/creator-object.ts";
export { TranscoderRpc } from "./rpc.ts";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
