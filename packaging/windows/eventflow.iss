; Inno Setup 6 script: the Windows installer of Eventflow Monitor.
; NOT BUILT OR TESTED HERE (the project's machines are Linux): packaging/windows/build.ps1
; runs it on a Windows machine or CI runner, after PyInstaller made build\bundle\eventflow.
;
;   ISCC.exe /DAppVersion=0.1.0 packaging\windows\eventflow.iss
;
; Installs per user by default (no admin rights: support engineers' laptops), or for all
; users if started as admin; Start menu entry, optional desktop icon, optional PATH entry
; for the `eventflow` command line tool; an uninstaller in Apps & features.

#define AppName "Eventflow Monitor"
#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\build\bundle\eventflow"
#endif

[Setup]
AppId={{6F1C2B7E-8A4D-4E2F-9C3B-5D7A1E0F4B92}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Eventflow
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
OutputDir=..\..\dist
OutputBaseFilename=eventflow-monitor-{#AppVersion}-windows-x64-setup
SetupIconFile=..\..\resources\icons\eventflow.ico
UninstallDisplayIcon={app}\{#AppName}.exe
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes
CloseApplications=yes

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the eventflow command to PATH"; GroupDescription: "Command line:"; Flags: unchecked

[Files]
; The PyInstaller bundle: "Eventflow Monitor.exe" (no console, for the Start menu),
; eventflow.exe (the command line tool) and _internal\.
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundle whole: no stale libraries from the previous version.
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppName}.exe"; Comment: "Watch, trace and replay events"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppName}.exe"; Tasks: desktopicon

[Registry]
Root: HKCU; Subkey: "Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: not IsAdminInstallMode and NeedsAddPath(ExpandConstant('{app}'))
Root: HKLM; Subkey: "SYSTEM\CurrentControlSet\Control\Session Manager\Environment"; ValueType: expandsz; ValueName: "Path"; ValueData: "{olddata};{app}"; Tasks: addtopath; Check: IsAdminInstallMode and NeedsAddPath(ExpandConstant('{app}'))

[Run]
Filename: "{app}\{#AppName}.exe"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
function PathKey(var Root: Integer): String;
begin
  if IsAdminInstallMode then begin
    Root := HKEY_LOCAL_MACHINE;
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment';
  end else begin
    Root := HKEY_CURRENT_USER;
    Result := 'Environment';
  end;
end;

function NeedsAddPath(Dir: String): Boolean;
var
  Root: Integer;
  Current: String;
begin
  if not RegQueryStringValue(Root, PathKey(Root), 'Path', Current) then
    Result := True
  else
    Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Current) + ';') = 0;
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  Root: Integer;
  Key, Current, Dir: String;
  P: Integer;
begin
  { Take the install folder out of PATH again, if the installer put it there. }
  if CurUninstallStep <> usPostUninstall then
    exit;
  Key := PathKey(Root);
  Dir := ExpandConstant('{app}');
  if RegQueryStringValue(Root, Key, 'Path', Current) then begin
    P := Pos(';' + Uppercase(Dir), Uppercase(Current));
    if P > 0 then begin
      Delete(Current, P, Length(Dir) + 1);
      RegWriteExpandStringValue(Root, Key, 'Path', Current);
    end;
  end;
end;
