// The seed's backend-created example, unchanged apart from the import line and the TypeScript
// annotations of the callback parameters (plain JavaScript drops them).
// The last line exposes the function to the test.
import { KalturaAvatarSession, SessionState, AvatarError } from '/static/kaltura-avatar.js';

async function runAvatarBECreated() {
// Get session from your backend
const { sessionId, token } = await fetch('/api/create-avatar-session').then(
(r) => r.json()
);

// Create instance WITHOUT apiKey (no need, backend created session)
const session = new KalturaAvatarSession(undefined, {
baseUrl: 'https://api.avatar.us.kaltura.ai/v1/avatar-session',
logLevel: 'info',
});

// Event listeners
session.on('stateChange', (state) => {
console.log('State:', state);
});

session.on('error', (error) => {
console.error('Error:', error.code, error.message);
});

try {
// Initialize with backend-provided credentials
await session.initSession(
{ sessionId, token },
{ videoContainerId: 'avatar-container' }
);

console.log('Session ID:', session.getSessionId());

// Say text
const turnId = `turn-${Date.now()}`;
await session.sayText('Hello from backend-created session!', turnId, true);

// Wait...
await new Promise((r) => setTimeout(r, 5000));

// End session
await session.endSession();
} catch (error) {
console.error('Failed:', error);
}
}

window.runAvatarBECreated = runAvatarBECreated;
