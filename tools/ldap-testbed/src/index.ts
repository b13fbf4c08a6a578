export * from "./Employees.js"
export * as LdapTestbed from "./LdapTestbed.js"
