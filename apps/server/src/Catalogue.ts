import { ServerSettings } from "@dfo-writeback/contract"
import { DfoSettings } from "@dfo-writeback/dfo-api"
import { mappingKinds } from "@dfo-writeback/domain"
import { EventsSettings } from "@dfo-writeback/events"
import { EdgeSettings, Settings } from "@dfo-writeback/edge"
import { LeaseSettings } from "@dfo-writeback/lease"
import { LdapSettings } from "@dfo-writeback/portal-ldap"
import { WritebackSettings } from "@dfo-writeback/writeback"

/** Every setting the server reads, as each library declares it, in the README's order. */
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
  mapping: mappingKinds
})

const ownNames = new Set(
  [ServerSettings.settings, EventsSettings.settings].flatMap((declared) =>
    Object.values(declared).map((setting) => setting.name)
  )
)

/** The server's own settings (`GRPC_*`, `METRICS_LISTEN`, `EVENTS_*`, …), listed first in its help. */
export const serverOwn = (setting: Settings.Setting): boolean => ownNames.has(setting.name)
