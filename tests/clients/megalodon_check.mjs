// megalodon (npm) against a running Kith, as apps built on it do: posting with media, home
// timeline paging by max_id, notifications and the user stream.
// Reads KITH_URL, ALICE_TOKEN, BOB_TOKEN, PNG_BASE64; prints one JSON object of what it saw.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import megalodon from "megalodon";

const generator = megalodon.default ?? megalodon;  // a CommonJS package: its default export, as ES modules see it

const url = process.env.KITH_URL;
const alice = generator("mastodon", url, process.env.ALICE_TOKEN);
const bob = generator("mastodon", url, process.env.BOB_TOKEN);
const seen = {};

seen.acct = (await alice.verifyAccountCredentials()).data.acct;
const picture = path.join(os.tmpdir(), `megalodon-${process.pid}.png`);
fs.writeFileSync(picture, Buffer.from(process.env.PNG_BASE64, "base64"));  // megalodon uploads a file stream
const media = (await alice.uploadMedia(fs.createReadStream(picture), { description: "megalodon square" })).data;
fs.unlinkSync(picture);
const posted = (await alice.postStatus("posted by megalodon", { media_ids: [media.id] })).data;
seen.posted_media = posted.media_attachments.map((m) => m.description);
for (const n of [1, 2, 3]) await alice.postStatus(`megalodon page post ${n}`);
const first = (await alice.getHomeTimeline({ limit: 2 })).data;
const second = (await alice.getHomeTimeline({ limit: 2, max_id: first[first.length - 1].id })).data;
seen.pages = [first.map((s) => s.content), second.map((s) => s.content)];

const stream = await alice.userStreaming();
const heard = new Promise((resolve) => {
  stream.on("notification", (n) => resolve(n.type));
  setTimeout(() => resolve("timeout"), 10000);
});
await new Promise((resolve) => stream.on("connect", resolve));
await bob.postStatus(`@${seen.acct} hello from megalodon`);
seen.streamed = await heard;
stream.stop();

const notifications = (await alice.getNotifications({ limit: 20 })).data;
seen.notified = notifications.some((n) => n.status && n.status.content.includes("hello from megalodon"));
console.log(JSON.stringify(seen));
process.exit(0);
