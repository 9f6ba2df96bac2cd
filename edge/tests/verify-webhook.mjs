// Verifies one webhook delivery with the reference Standard Webhooks library (npm `standardwebhooks`),
// not with Inlet's own code. Reads {"secret", "headers", "body"} as JSON on standard input; prints
// "verified" and exits 0, or prints why not and exits 1.
import { Webhook } from "standardwebhooks";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const { secret, headers, body } = JSON.parse(input);
try {
  new Webhook(secret).verify(body, headers);
  console.log("verified");
} catch (error) {
  console.log(`not verified: ${error.message}`);
  process.exit(1);
}
