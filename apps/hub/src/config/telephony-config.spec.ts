import { telephonyOptionsFrom } from '../app.module';
import { parseConfig } from './load-config';

const SID = 'AC0123456789abcdef0123456789abcdef';
const SUB = 'ACfedcba9876543210fedcba9876543210';

describe('telephony configuration', () => {
  it('is off by default and on with an account, a token and a number', () => {
    const off = telephonyOptionsFrom(parseConfig({}));
    expect(off).toMatchObject({ twilioAccounts: [], genericWebhookSecret: null, ringSeconds: 20, huntMax: 3, record: false, voiceLocale: 'en-US', ringStrategy: 'sequential', ringStrategyByNumber: {} });
    const on = telephonyOptionsFrom(
      parseConfig({ TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: 'main-token', TWILIO_ACCOUNTS: `${SUB}:sub-token`, TWILIO_NUMBER: '+74951234567', CALL_RECORD: 'yes', CALL_VOICE_LOCALE: 'ru-RU', PUBLIC_URL: 'https://crm.example.com/' }),
    );
    expect(on).toMatchObject({
      publicUrl: 'https://crm.example.com',
      twilioAccounts: [
        { sid: SID, token: 'main-token' },
        { sid: SUB, token: 'sub-token' },
      ],
      twilioNumber: '+74951234567',
      record: true,
      voiceLocale: 'ru-RU',
    });
  });

  it('reads the ring strategy per hub and per called number', () => {
    const o = telephonyOptionsFrom(parseConfig({ CALL_RING_STRATEGY: 'simultaneous', CALL_RING_STRATEGY_BY_NUMBER: '+74951234567=sequential, +74957654321 = simultaneous' }));
    expect(o).toMatchObject({ ringStrategy: 'simultaneous', ringStrategyByNumber: { '+74951234567': 'sequential', '+74957654321': 'simultaneous' } });
    expect(() => parseConfig({ CALL_RING_STRATEGY: 'random' })).toThrow(/CALL_RING_STRATEGY must be sequential or simultaneous/);
    expect(() => parseConfig({ CALL_RING_STRATEGY_BY_NUMBER: '84951234567=all' })).toThrow(/CALL_RING_STRATEGY_BY_NUMBER must be a comma-separated list of \+NUMBER=sequential\|simultaneous \(got "84951234567=all"\)/);
  });

  it('stops with one line naming the variable', () => {
    expect(() => parseConfig({ TWILIO_ACCOUNT_SID: SID })).toThrow('Invalid configuration: TWILIO_AUTH_TOKEN must be set together with TWILIO_ACCOUNT_SID');
    expect(() => parseConfig({ TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: 't' })).toThrow(/^Invalid configuration: TWILIO_NUMBER must be set/);
    expect(() => parseConfig({ TWILIO_ACCOUNT_SID: 'SK123', TWILIO_AUTH_TOKEN: 't', TWILIO_NUMBER: '+74951234567' })).toThrow(/TWILIO_ACCOUNT_SID must be an Account SID/);
    expect(() => parseConfig({ TWILIO_ACCOUNTS: `${SUB}:x` })).toThrow(/TWILIO_ACCOUNTS needs TWILIO_ACCOUNT_SID/);
    expect(() => parseConfig({ TWILIO_ACCOUNTS: 'nonsense' })).toThrow(/TWILIO_ACCOUNTS must be a comma-separated list/);
    expect(() => parseConfig({ CALL_VOICE_LOCALE: 'de-DE' })).toThrow(/CALL_VOICE_LOCALE must be ru-RU or en-US/);
    expect(() => parseConfig({ CALL_RING_SECONDS: '500' })).toThrow(/CALL_RING_SECONDS must be a whole number from 5 to 120/);
    expect(() => parseConfig({ TELEPHONY_WEBHOOK_SECRET: 'short' })).toThrow(/TELEPHONY_WEBHOOK_SECRET must be at least 16 characters/);
    expect(() => parseConfig({ TWILIO_NUMBER: '84951234567' })).toThrow(/TWILIO_NUMBER must be a phone number in E.164/);
  });
});
