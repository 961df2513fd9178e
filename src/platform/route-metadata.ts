import { ExecutionContext, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

/**
 * One decorator's value for a route, the handler's overriding its controller's, as
 * `reflector.getAllAndOverride` reads it. Decorators are applied when the classes are defined, so
 * it is read once per controller and handler instead of on every request (issue 5). Keyed by
 * both: a controller that inherits a handler shares the function but not the class's metadata.
 */
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
