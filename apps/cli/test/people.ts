/** A Portal LDAP entry eligible for writeback: username `name`, derived e-mail addresses. */
export const person = (
  name: string,
  payrollId: string,
  idautoID = `00000000-0000-4000-8000-${name.padStart(12, "0")}`
) => ({
  idautoID,
  idautoPersonSystem1ID: name,
  idautoPersonSAMAccountName: `${name}.uh`,
  idautoPersonPayrollID: payrollId,
  idautoPersonSystem5ID: `${name}@uni.no`,
  idautoPersonSystem2ID: `${name}.mail@uni.no`,
  mail: `${name}@uni.no`,
  idautoPersonAppRoles2: "Active Directory"
})
