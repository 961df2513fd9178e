import { ExecutionContext, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

// Read once per controller and handler, not per request (docs/performance.md, Measured machinery).
// Keyed by both: a controller inheriting a handler shares the function, not the class's metadata.
export class RouteMetadata<T> {
  private readonly byController = new WeakMap<Type<unknown>, Map<object, T | undefined>>();

  constructor(
    private readonly reflector: Reflector,
    private readonly key: string,
  ) {}

  of(context: ExecutionContext): T | undefined {
    const controller = context.getClass();
    const handler = context.getHandler();
    let handlers = this.byController.get(controller);
    if (!handlers) {
      handlers = new Map();
      this.byController.set(controller, handlers);
    }
    if (!handlers.has(handler)) {
      handlers.set(handler, this.reflector.getAllAndOverride<T>(this.key, [handler, controller]));
    }
    return handlers.get(handler);
  }
}
