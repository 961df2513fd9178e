import { SetMetadata, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { RouteMetadata } from './route-metadata';

const LEVEL = 'level';
const Level = (level: string) => SetMetadata(LEVEL, level);

class PlainController {
  unmarked(): void {}

  @Level('handler')
  marked(): void {}
}

@Level('controller')
class MarkedController {
  inherited(): void {}

  @Level('handler')
  overriding(): void {}
}

// Inherits `unmarked` and `marked` (the very same functions) under other class metadata.
@Level('subclass')
class SubController extends PlainController {}

function contextFor(controller: Type<unknown>, handler: () => void): ExecutionContextHost {
  return new ExecutionContextHost([{}, {}], controller, handler);
}

describe('RouteMetadata', () => {
  let reflector: Reflector;
  let metadata: RouteMetadata<string>;

  beforeEach(() => {
    reflector = new Reflector();
    metadata = new RouteMetadata<string>(reflector, LEVEL);
  });

  it.each([
    ['neither is marked', PlainController, PlainController.prototype.unmarked, undefined],
    ['only the handler is marked', PlainController, PlainController.prototype.marked, 'handler'],
    [
      'only the controller is marked',
      MarkedController,
      MarkedController.prototype.inherited,
      'controller',
    ],
    [
      'both are, the handler wins',
      MarkedController,
      MarkedController.prototype.overriding,
      'handler',
    ],
  ])('answers like getAllAndOverride when %s', (_label, controller, handler, expected) => {
    expect(metadata.of(contextFor(controller, handler))).toBe(expected);
    expect(metadata.of(contextFor(controller, handler))).toBe(expected);
  });

  it("answers an inherited handler with the subclass's metadata after the parent's was read", () => {
    const handler = PlainController.prototype.unmarked;

    expect(metadata.of(contextFor(PlainController, handler))).toBeUndefined();
    expect(metadata.of(contextFor(SubController, handler))).toBe('subclass');
    expect(metadata.of(contextFor(PlainController, handler))).toBeUndefined();
  });

  it('reads the metadata once per controller and handler', () => {
    const read = jest.spyOn(reflector, 'getAllAndOverride');

    for (let i = 0; i < 3; i++) {
      metadata.of(contextFor(PlainController, PlainController.prototype.marked));
      metadata.of(contextFor(SubController, PlainController.prototype.marked));
    }

    expect(read).toHaveBeenCalledTimes(2);
  });
});
