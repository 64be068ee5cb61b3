import type { FastifyInstance } from 'fastify';
import YAML from 'yaml';

import {
  findForbiddenKey,
  findForbiddenYamlKey,
  forbiddenKeyMessage,
} from '../util/forbidden-keys.js';
import { AppError } from './errors.js';

const refuse = (path: string) =>
  new AppError(400, 'bad_request', `body: ${forbiddenKeyMessage(path)}`);

/**
 * JSON and YAML request bodies. A `__proto__` key is refused with a message that says so (Fastify's
 * own JSON parser would answer "Body is not valid JSON"; the YAML library would quietly change
 * the object's prototype).
 */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.trim() === '') {
      done(new AppError(400, 'bad_request', 'body is empty; send a JSON document'), undefined);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      done(
        new AppError(400, 'bad_request', `body is not valid JSON: ${(error as Error).message}`),
        undefined,
      );
      return;
    }
    const forbidden = findForbiddenKey(value);
    if (forbidden !== null) done(refuse(forbidden), undefined);
    else done(null, value);
  });

  app.addContentTypeParser(
    ['application/yaml', 'application/x-yaml', 'text/yaml'],
    { parseAs: 'string' },
    (_request, body, done) => {
      const document = YAML.parseDocument(body as string, { uniqueKeys: true });
      const error = document.errors[0];
      if (error) {
        done(
          new AppError(400, 'bad_request', `body is not valid YAML: ${error.message}`),
          undefined,
        );
        return;
      }
      const forbidden = findForbiddenYamlKey(document);
      if (forbidden !== null) done(refuse(forbidden), undefined);
      else done(null, document.toJS({ maxAliasCount: 100 }) as unknown);
    },
  );
}
