// The raw JetStream loop docctl is compared with: pull → publish result → ack, same client, no framework.
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";

const [url, conc] = [process.argv[2]!, Number(process.argv[3] ?? 64)];
const nc = await connect({ servers: url });
const js = jetstream(nc);
const consumer = await js.consumers.get("RAW_TASKS", "raw");
const messages = await consumer.consume({ max_messages: conc });
process.stdout.write("ready\n");
for await (const m of messages) {
  void (async () => {
    await js.publish(`raw.results.${m.subject.split(".").pop()}`, m.data);
    m.ack();
  })();
}
