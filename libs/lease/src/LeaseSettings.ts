import { Settings } from "@dfo-writeback/edge"

const { setting } = Settings

/** The lease's settings (CONTRACT §8), each declared once: `LeaseConfig.config` reads them. */
export const settings = {
  lease: setting(
    "WRITEBACK_LEASE",
    "text",
    undefined,
    "k8s:<namespace>/<name> (a Kubernetes Lease) or file:<absolute path> (a lock file on one host): full runs and applies that may write hold it (off: each process guards only itself)"
  ),
  durationSeconds: setting(
    "WRITEBACK_LEASE_DURATION_S",
    "integer",
    30,
    "a lease not renewed for this long is lost; its holder renews every third of it (3–3600)"
  )
}
