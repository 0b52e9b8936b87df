// masto.js (npm `masto`) against a running Kith, as a web or mobile app uses it: token sign-in,
// posting with media, home timeline paging, notifications and the streaming API.
// Reads KITH_URL, ALICE_TOKEN, BOB_TOKEN; prints one JSON object of what it saw.
import { createRestAPIClient, createStreamingAPIClient } from "masto";

const url = process.env.KITH_URL;
const alice = createRestAPIClient({ url, accessToken: process.env.ALICE_TOKEN });
const bob = createRestAPIClient({ url, accessToken: process.env.BOB_TOKEN });
const seen = {};

const me = await alice.v1.accounts.verifyCredentials();
seen.acct = me.acct;
const png = Buffer.from(process.env.PNG_BASE64, "base64");
const media = await alice.v2.media.create({ file: new Blob([png], { type: "image/png" }), description: "masto.js square" });
const posted = await alice.v1.statuses.create({ status: "posted by masto.js", mediaIds: [media.id] });
seen.posted_media = posted.mediaAttachments.map((m) => m.description);
for (const n of [1, 2, 3]) await alice.v1.statuses.create({ status: `masto.js page post ${n}` });

const pages = [];
for await (const page of alice.v1.timelines.home.list({ limit: 2 })) {
  pages.push(page.map((s) => s.content));
  if (pages.length === 2) break;
}
seen.pages = pages;

const instance = await alice.v2.instance.fetch();
const streaming = createStreamingAPIClient({ streamingApiUrl: instance.configuration.urls.streaming,
                                            accessToken: process.env.ALICE_TOKEN });
const subscription = streaming.user.subscribe();
const heard = (async () => {
  for await (const event of subscription) {
    if (event.event === "notification") return event.payload.type;
  }
})();
await new Promise((resolve) => setTimeout(resolve, 2000));
await bob.v1.statuses.create({ status: `@${me.acct} hello from masto.js` });
seen.streamed = await Promise.race([heard, new Promise((resolve) => setTimeout(() => resolve("timeout"), 10000))]);
subscription.unsubscribe();
streaming.close();

const notifications = await alice.v1.notifications.list({ types: ["mention"] });
seen.notified = notifications.some((n) => n.status && n.status.content.includes("hello from masto.js"));
console.log(JSON.stringify(seen));
process.exit(0);
