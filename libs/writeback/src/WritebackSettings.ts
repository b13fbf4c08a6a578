import { Settings } from "@dfo-writeback/edge"

const { setting } = Settings

/** The writeback program's settings (CONTRACT §6), each declared once: `WritebackConfig` reads them. */
export const settings = {
  readOnly: setting("SAP_READ_ONLY", "boolean", false, "plan and report, never write"),
  writebackBrukerident: setting(
    "SAP_WRITEBACK_BRUKERIDENT",
    "boolean",
    false,
    "also write the employee number as brukerident (write-once: only when DFØ holds it empty)"
  ),
  businessRoleExceptions: setting(
    "SAP_WRITEBACK_BUSINESS_ROLE_EXCEPTION",
    "list",
    undefined,
    "comma-separated business roles to skip"
  ),
  concurrency: setting("SAP_CONCURRENCY", "integer", 8, "users in flight at once"),
  abortAfterConsecutiveFailures: setting(
    "SAP_ABORT_AFTER_CONSECUTIVE_FAILURES",
    "integer",
    25,
    "stop starting users after this many failures in a row"
  ),
  bulkList: setting(
    "SAP_BULK_LIST",
    "boolean",
    true,
    "full runs read all employees with one GET {base}; false reads each on its own"
  ),
  maxUpdates: setting(
    "WRITEBACK_MAX_UPDATES",
    "integer",
    1000,
    "mass-update guard: a full run planning more writes nothing"
  ),
  planMaxAgeHours: setting(
    "WRITEBACK_PLAN_MAX_AGE_HOURS",
    "integer",
    24,
    "apply refuses older plans"
  )
}
