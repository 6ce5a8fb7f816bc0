import { whatsappOptionsFrom } from '../../apps/hub/src/app.module';
import { ConfigError, parseConfig } from '../../apps/hub/src/config/load-config';

const on = { WHATSAPP_ACCESS_TOKEN: 'EAAGtoken', WHATSAPP_APP_SECRET: '5e1f0c2b9a8d7e6f5a4b3c2d1e0f9a8b', WHATSAPP_VERIFY_TOKEN: 'verify-me-1' };

describe('WhatsApp configuration', () => {
  it('is off with nothing set, on with token, app secret and verify token, with Graph defaults', () => {
    expect(whatsappOptionsFrom(parseConfig({}))).toBeNull();
    expect(whatsappOptionsFrom(parseConfig(on))).toEqual({
      accessToken: 'EAAGtoken',
      appSecret: '5e1f0c2b9a8d7e6f5a4b3c2d1e0f9a8b',
      verifyToken: 'verify-me-1',
      graphBaseUrl: 'https://graph.facebook.com',
      graphVersion: 'v21.0',
      phoneNumberIds: [],
      businessAccountIds: [],
      numberPipelines: {},
    });
    const several = whatsappOptionsFrom(parseConfig({ ...on, WHATSAPP_PHONE_NUMBER_IDS: ' 106540352242922, 113344556677889 ', WHATSAPP_GRAPH_BASE_URL: 'http://127.0.0.1:9999/', WHATSAPP_GRAPH_VERSION: 'v22.0' }));
    expect(several).toMatchObject({ phoneNumberIds: ['106540352242922', '113344556677889'], graphBaseUrl: 'http://127.0.0.1:9999', graphVersion: 'v22.0' });
    const routed = whatsappOptionsFrom(parseConfig({ ...on, WHATSAPP_NUMBER_PIPELINES: '106540352242922=Almaty sales, 113344556677889 = Tashkent', WHATSAPP_BUSINESS_ACCOUNT_IDS: '102290129340398' }));
    expect(routed).toMatchObject({ numberPipelines: { '106540352242922': 'Almaty sales', '113344556677889': 'Tashkent' }, businessAccountIds: ['102290129340398'] });
  });

  it('names what is missing or malformed instead of starting half-configured', () => {
    expect(() => parseConfig({ WHATSAPP_ACCESS_TOKEN: 'EAAGtoken' })).toThrow(ConfigError);
    expect(() => parseConfig({ WHATSAPP_ACCESS_TOKEN: 'EAAGtoken' })).toThrow(/WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN/);
    expect(() => parseConfig({ ...on, WHATSAPP_APP_SECRET: 'not hex!' })).toThrow(/WHATSAPP_APP_SECRET/);
    expect(() => parseConfig({ ...on, WHATSAPP_VERIFY_TOKEN: 'has space' })).toThrow(/WHATSAPP_VERIFY_TOKEN/);
    expect(() => parseConfig({ ...on, WHATSAPP_PHONE_NUMBER_IDS: '+15550783881' })).toThrow(/WHATSAPP_PHONE_NUMBER_IDS/);
    expect(() => parseConfig({ ...on, WHATSAPP_GRAPH_BASE_URL: 'graph.facebook.com' })).toThrow(/WHATSAPP_GRAPH_BASE_URL/);
    expect(() => parseConfig({ ...on, WHATSAPP_GRAPH_VERSION: '21' })).toThrow(/WHATSAPP_GRAPH_VERSION/);
    expect(() => parseConfig({ ...on, WHATSAPP_NUMBER_PIPELINES: '106540352242922' })).toThrow(/WHATSAPP_NUMBER_PIPELINES/);
    expect(() => parseConfig({ ...on, WHATSAPP_BUSINESS_ACCOUNT_IDS: 'waba' })).toThrow(/WHATSAPP_BUSINESS_ACCOUNT_IDS/);
  });
});
