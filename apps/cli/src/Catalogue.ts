import * as ServerSettings from "@dfo-writeback/contract/ServerSettings"
import { DfoSettings } from "@dfo-writeback/dfo-api"
import { mappingKinds } from "@dfo-writeback/domain"
import { EdgeSettings, Settings } from "@dfo-writeback/edge"
import * as EventsSettings from "@dfo-writeback/events/EventsSettings"
import { LeaseSettings } from "@dfo-writeback/lease"
import { LdapSettings } from "@dfo-writeback/portal-ldap"
import { WritebackSettings } from "@dfo-writeback/writeback"

/**
 * Every setting, as each library declares it: the CLI reads all but the server's (its own
 * and the event consumer's), which it knows so that one environment or `WRITEBACK_CONFIG`
 * file serves both processes.
 */
export const catalogue: Settings.Catalogue = Settings.catalogue({
  declarations: [
    LdapSettings.settings,
    DfoSettings.settings,
    WritebackSettings.settings,
    LeaseSettings.settings,
    ServerSettings.settings,
    EdgeSettings.settings,
    EventsSettings.settings
  ],
  elsewhere: [ServerSettings.settings, EventsSettings.settings],
  mapping: mappingKinds
})
