import { IsBoolean, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ConfigError, loadConfig } from './config';

class Sample {
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 8000;

  @IsBoolean()
  ENABLED = false;

  @IsOptional()
  @IsString()
  NAME?: string;
}

describe('loadConfig', () => {
  it('applies defaults', () => {
    expect(loadConfig(Sample, {})).toMatchObject({ PORT: 8000, ENABLED: false });
  });

  it('converts by the default value type', () => {
    const c = loadConfig(Sample, { PORT: '18100', ENABLED: 'true', NAME: '42' });
    expect(c).toMatchObject({ PORT: 18100, ENABLED: true, NAME: '42' });
  });

  it('names every invalid variable', () => {
    expect(() => loadConfig(Sample, { PORT: 'eighty', ENABLED: 'maybe' })).toThrow(ConfigError);
    try {
      loadConfig(Sample, { PORT: '70000', ENABLED: 'maybe' });
    } catch (err) {
      expect((err as Error).message).toMatch(/PORT="?70000"?/);
      expect((err as Error).message).toMatch(/ENABLED="maybe"/);
    }
  });
});
