import * as grpc from "@grpc/grpc-js"

/** A grpc-js server bound to an ephemeral port on 127.0.0.1. */
export interface TestServer {
  readonly server: grpc.Server
  readonly address: string
  /** Graceful `tryShutdown`: it only finishes once every call has ended. */
  readonly close: () => Promise<void>
}

export const serve = async (register: (server: grpc.Server) => void): Promise<TestServer> => {
  const server = new grpc.Server()
  register(server)
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) =>
      error === null ? resolve(port) : reject(error)
    )
  )
  return {
    server,
    address: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) =>
        server.tryShutdown((error) => (error === undefined ? resolve() : reject(error)))
      )
  }
}

/** Every message of a response stream, and the error it ended with, if any. */
export const collect = async <T>(
  stream: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<never, T>
): Promise<{ readonly items: ReadonlyArray<T>; readonly error: grpc.ServiceError | undefined }> => {
  const items: Array<T> = []
  try {
    for await (const item of stream) items.push(item as T)
  } catch (error) {
    return { items, error: error as grpc.ServiceError }
  }
  return { items, error: undefined }
}

/** Promisifies a grpc-js unary call. */
export const unary = <O>(
  call: (callback: (error: grpc.ServiceError | null, value?: O) => void) => unknown
): Promise<O> =>
  new Promise((resolve, reject) =>
    call((error, value) => (error === null && value !== undefined ? resolve(value) : reject(error)))
  )
