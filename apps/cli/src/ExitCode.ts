import type { RunError, RunSummary } from "@dfo-writeback/domain"
import type { LeaseError } from "@dfo-writeback/lease"
import type { PlanError } from "@dfo-writeback/writeback"

/** CONTRACT §7's exit codes. */
export const ExitCode = {
  /** done, no user failed */
  Ok: 0,
  /** done, some user failed */
  UserFailed: 1,
  /**
   * the run failed: LDAP connection, configuration, mass-update guard, a refused plan file,
   * output that could not be delivered (stdout, the plan file, the log file), the lease
   * held elsewhere or unavailable
   */
  RunFailed: 2,
  /** key not found or ambiguous */
  KeyNotFound: 3,
  /**
   * the run aborted: it stopped starting users (refused key, consecutive failures, DFØ
   * unreachable, lease lost, an audit line that could not be written)
   */
  Aborted: 4,
  /** usage error */
  Usage: 64,
  /** stopped by SIGINT (128 + 2) */
  Interrupted: 130,
  /** stopped by SIGTERM (128 + 15) */
  Terminated: 143
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/** The one mapping from a run-level error to an exit code. */
export const exitCodeOf = (
  error: RunError | PlanError.PlanRefused | LeaseError.LeaseHeld | LeaseError.LeaseUnavailable
): ExitCode => {
  switch (error._tag) {
    case "LdapConnectionError":
    case "LeaseHeld":
    case "LeaseUnavailable":
    case "MassUpdateGuard":
    case "PlanMalformed":
    case "PlanAltered":
    case "PlanExpired":
    case "PlanOtherSettings":
      return ExitCode.RunFailed
    case "UserNotFound":
    case "AmbiguousKey":
      return ExitCode.KeyNotFound
    case "InvalidRequest":
      return ExitCode.Usage
  }
}

/** The one mapping from a run that ended with its summary to an exit code. */
export const exitCodeOfSummary = (
  summary: Pick<RunSummary, "aborted" | "updateFailed" | "fetchFailed">
): ExitCode =>
  summary.aborted
    ? ExitCode.Aborted
    : summary.updateFailed + summary.fetchFailed > 0
      ? ExitCode.UserFailed
      : ExitCode.Ok
