// Start-up baseline (b): only the dependencies the agent needs on its start path, and nothing
// else: xstate, jose's verification entry points, pino and env-paths.
import 'xstate';
import 'jose/jwt/verify';
import 'jose/jwks/local';
import 'jose/errors';
import 'pino';
import 'env-paths';
