#!/usr/bin/env node
// The image's health check (Docker HEALTHCHECK; a Kubernetes exec probe when the server
// speaks TLS, which Kubernetes' own gRPC probes cannot): one grpc.health.v1.Health/Check
// over loopback, exit 0 when SERVING, 1 otherwise.
//
//   node deploy/healthcheck.mjs                                   # "": the process runs
//   node deploy/healthcheck.mjs dfo.writeback.v1.WritebackService # LDAP and DFØ reachable
//
// It reads the server's own settings: GRPC_LISTEN for the port, and with GRPC_TLS_CERT_FILE
// it speaks TLS to itself (the certificate is not checked: the peer is this container's
// loopback, and health carries nothing secret). With GRPC_TLS_CLIENT_CA_FILE it offers the
// server's own certificate and key as its client certificate, which works when one CA
// signs both.
import { readFileSync } from "node:fs"
import { GrpcClient, HealthV1 } from "@dfo-writeback/contract"
import * as grpc from "@grpc/grpc-js"

const service = process.argv[2] ?? ""
const listen = process.env.GRPC_LISTEN ?? "127.0.0.1:50051"
const port = listen.slice(listen.lastIndexOf(":") + 1)
const host = listen.slice(0, listen.lastIndexOf(":"))
const everywhere = ["", "0.0.0.0", "[::]"]
const target = `${everywhere.includes(host) ? "127.0.0.1" : host}:${port}`

const credentials = () => {
  const certFile = process.env.GRPC_TLS_CERT_FILE
  if (certFile === undefined || certFile === "") return grpc.credentials.createInsecure()
  const mutual = (process.env.GRPC_TLS_CLIENT_CA_FILE ?? "") !== ""
  const keyFile = process.env.GRPC_TLS_KEY_FILE ?? ""
  return grpc.credentials.createSsl(
    null,
    mutual ? readFileSync(keyFile) : null,
    mutual ? readFileSync(certFile) : null,
    { rejectUnauthorized: false }
  )
}

const client = GrpcClient.make(HealthV1.Health, target, { credentials: credentials() })
client.check({ service }, { deadline: Date.now() + 5_000 }, (error, response) => {
  client.close()
  const status = error
    ? `${grpc.status[error.code] ?? error.code}: ${error.details}`
    : HealthV1.HealthCheckResponse_ServingStatus[response.status]
  const serving = !error && response.status === HealthV1.HealthCheckResponse_ServingStatus.SERVING
  process.stdout.write(`health ${JSON.stringify(service)} at ${target}: ${status}\n`)
  process.exit(serving ? 0 : 1)
})
