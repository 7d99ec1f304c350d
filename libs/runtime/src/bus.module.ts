import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { Bus, BUS_OPTIONS, NATS_CLIENT } from './bus';

export interface BusModuleOptions {
  url: string;
  name: string;
  requestTimeoutMs: number;
}

/** NATS settings shared by the client and the microservice server: reconnect forever, fail fast on send. */
export function natsConnectionOptions(url: string, name: string) {
  return {
    servers: url.split(','),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    waitOnFirstConnect: true,
  };
}

@Global()
@Module({})
export class BusModule {
  static forRoot(options: BusModuleOptions): DynamicModule {
    return {
      module: BusModule,
      providers: [
        { provide: BUS_OPTIONS, useValue: { requestTimeoutMs: options.requestTimeoutMs } },
        {
          provide: NATS_CLIENT,
          useFactory: async () => {
            const client = ClientProxyFactory.create({
              transport: Transport.NATS,
              options: natsConnectionOptions(options.url, `${options.name}-client`),
            });
            await client.connect();
            return client;
          },
        },
        Bus,
      ],
      exports: [Bus],
    };
  }
}
