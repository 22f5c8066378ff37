// DTOs are generated from Rust (ts-rs, `cargo test -p antrian-core`); never edit generated/.
export type { ConnectionStatus } from "./generated/ConnectionStatus";
export type { ConnectionState } from "./generated/ConnectionState";
export type { RedisMode } from "./generated/RedisMode";
export type { ErrorCode } from "./generated/ErrorCode";
export type { StatusError } from "./generated/StatusError";
