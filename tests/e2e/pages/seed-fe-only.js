// The seed's "Pattern 1: FE-Only (SDK Creates Session)" example, unchanged apart from the import
// line and the TypeScript annotations of the callback parameters (plain JavaScript drops them).
// The last line exposes the function to the test.
import { KalturaAvatarSession, SessionState, ConnectionState, AvatarError, AvatarErrorCode } from '/static/kaltura-avatar.js';

async function runAvatarFEOnly() {
// Create instance with apiKey
const session = new KalturaAvatarSession('your-kaltura-session', {
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
// Create session (SDK creates it using apiKey)
await session.createSession({
avatarId: 'avatar-123',
voiceId: 'voice-456',
videoContainerId: 'avatar-container',
});

console.log('Session ID:', session.getSessionId());

// Say text
await session.sayText('Hello from Kaltura Avatar!');

// Wait...
await new Promise((r) => setTimeout(r, 5000));

// End session
await session.endSession();
} catch (error) {
console.error('Failed:', error);
}
}

window.runAvatarFEOnly = runAvatarFEOnly;
