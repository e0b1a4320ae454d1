import { connectOperator, loadEndpoints, subscribe } from "./support.mjs";
const e = loadEndpoints();
const c = await connectOperator(e);
c.on("message", (t, m) => console.log(t, m.toString()));
await subscribe(c, ["devices/+/lamp/connection/+/state"]);
await new Promise((r) => setTimeout(r, 1500));
c.end(true);
