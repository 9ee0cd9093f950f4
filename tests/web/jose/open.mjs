// Opens an encrypted response with the `jose` npm package, as a relying party on Node would:
// decrypt with the client's private key, then (for a nested JWT) verify the server's
// signature against its JWK Set and the issuer and audience. Reads one JSON object on stdin
// ({jose, token, key, jwks, issuer, audience}) and prints the JWE header and the payload.
const input = JSON.parse(await new Promise((resolve) => {
  let data = "";
  process.stdin.on("data", (chunk) => { data += chunk; });
  process.stdin.on("end", () => resolve(data));
}));
const jose = await import(input.jose);
const header = jose.decodeProtectedHeader(input.token);
const key = await jose.importJWK(input.key, header.alg);
const { plaintext } = await jose.compactDecrypt(input.token, key);
const text = new TextDecoder().decode(plaintext);
let payload;
if (header.cty === "JWT") {
  const verified = await jose.jwtVerify(text, jose.createLocalJWKSet(input.jwks), {
    issuer: input.issuer,
    audience: input.audience,
    typ: input.typ,
  });
  payload = verified.payload;
} else {
  payload = JSON.parse(text);
}
process.stdout.write(JSON.stringify({ header, payload }));
